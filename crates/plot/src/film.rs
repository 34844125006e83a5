//! Swimmer figures: a filmstrip or overlay as SVG, an animated GIF, a single PNG frame.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::draw_err;
use crate::swimmer::{self, Frame, View};
use crate::{PlotError, check, raster, svg};

/// How a filmstrip arranges its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilmLayout {
    /// One panel per frame, side by side; each panel's camera follows the body.
    #[default]
    Strip,
    /// All frames on one track, older ones fainter, with the path of the body's centre.
    Overlay,
}

/// Options of [`filmstrip_svg`].
#[derive(Debug, Clone, PartialEq)]
pub struct FilmstripSpec {
    /// Visible title and the SVG `<title>`.
    pub title: String,
    /// The SVG `<desc>`.
    pub description: String,
    /// Strip or overlay.
    pub layout: FilmLayout,
    /// At most this many frames, evenly spaced over the input (first and last kept); 0 = all.
    pub max_frames: usize,
    /// Size of one panel (strip) or of the whole track (overlay), in pixels.
    pub panel_size: (u32, u32),
}

impl Default for FilmstripSpec {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            layout: FilmLayout::Strip,
            max_frames: 6,
            panel_size: (200, 160),
        }
    }
}

const TITLE_H: u32 = 32;
const GAP: u32 = 6;

/// Indices of at most `k` frames evenly spaced over `n`, first and last included.
fn pick(n: usize, k: usize) -> Vec<usize> {
    if k == 0 || n <= k {
        return (0..n).collect();
    }
    if k == 1 {
        return vec![0];
    }
    (0..k)
        .map(|i| (i * (n - 1) + (k - 1) / 2) / (k - 1))
        .collect()
}

/// One camera for a whole animation or strip: the scale, and the band of each panel the body
/// may use (below the caption, above the readout). The camera follows the body's centre; the
/// scale is the usual one (the body a good part of the panel, with room to swim) unless some
/// frame's pose would then reach past the band, in which case it shrinks so that every pose
/// fits: a swimmer turned across the short side of the panel keeps its head and tail.
#[derive(Debug, Clone, Copy)]
struct Camera {
    scale: f64,
    top: u32,
    bottom: u32,
}

/// Pixels kept between the body and the edge of its band.
const FRAME_MARGIN: f64 = 4.0;

impl Camera {
    /// Fits `frames` into `size` panels, leaving room for a caption and a readout if asked.
    fn fit(frames: &[&Frame], (w, h): (u32, u32), caption: bool, readout: bool) -> Self {
        let mut top = if caption { swimmer::CAPTION_H } else { 0 };
        let mut bottom = h.saturating_sub(if readout { swimmer::READOUT_H } else { 0 });
        if bottom < top + h / 3 {
            // too small a panel for bands: let the body use all of it
            (top, bottom) = (0, h);
        }
        let span = swimmer::follow_span(frames.iter().copied());
        let mut scale = f64::from(w.min(h * 3 / 2)) / span;
        let (ax, ay) = frames
            .iter()
            .map(|f| swimmer::half_extent(f))
            .fold((0.0, 0.0), |(a, b), (x, y)| {
                (f64::max(a, x), f64::max(b, y))
            });
        let room_x = (f64::from(w) / 2.0 - FRAME_MARGIN).max(1.0);
        let room_y = (f64::from(bottom - top) / 2.0 - FRAME_MARGIN).max(1.0);
        if ax > 0.0 {
            scale = scale.min(room_x / ax);
        }
        if ay > 0.0 {
            scale = scale.min(room_y / ay);
        }
        Self { scale, top, bottom }
    }

    /// The view of a `size` panel at `(ox, oy)` that puts `frame`'s centre mid-band.
    fn view(&self, frame: &Frame, (ox, oy): (i32, i32), (w, h): (u32, u32)) -> View {
        let (cx, cy) = frame.centre();
        let mid = f64::from(self.top + self.bottom) / 2.0;
        View {
            cx,
            // shift the camera so the centre lands mid-band rather than mid-panel
            cy: cy - (f64::from(h) / 2.0 - mid) / self.scale,
            scale: self.scale,
            ox,
            oy,
            w,
            h,
        }
    }

    /// Grid spacing for the world width the panel shows.
    fn grid(&self, w: u32) -> f64 {
        swimmer::grid_spacing(f64::from(w) / self.scale)
    }
}

/// Draws swimmer frames as an SVG filmstrip (or overlay).
///
/// Errors: no frames, a frame without segments, non-finite geometry, non-positive segment
/// sizes, a bad panel size.
pub fn filmstrip_svg(frames: &[Frame], spec: &FilmstripSpec) -> Result<String, PlotError> {
    crate::font::ensure_fonts()?;
    swimmer::validate(frames)?;
    check::size(spec.panel_size, (40, 40))?;
    let chosen: Vec<&Frame> = pick(frames.len(), spec.max_frames)
        .into_iter()
        .map(|i| &frames[i])
        .collect();
    let (pw, ph) = spec.panel_size;
    let title_h = if spec.title.is_empty() { 0 } else { TITLE_H };
    let size = match spec.layout {
        FilmLayout::Strip => (
            chosen.len() as u32 * (pw + GAP) + GAP,
            ph + title_h + 2 * GAP,
        ),
        FilmLayout::Overlay => (pw + 2 * GAP, ph + title_h + 2 * GAP),
    };
    check::size(size, (40, 40))?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        if title_h > 0 {
            let t = crate::style::fit_text(&spec.title, crate::style::TITLE_PX, size.0 - 12);
            let st = crate::style::text(crate::style::TITLE_PX).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ),
            );
            root.draw(&Text::new(
                t,
                ((size.0 / 2) as i32, (title_h / 2 + 4) as i32),
                st,
            ))
            .map_err(draw_err)?;
        }
        let top = (title_h + GAP) as i32;
        match spec.layout {
            FilmLayout::Strip => draw_strip(&root, &chosen, spec.panel_size, top)?,
            FilmLayout::Overlay => draw_overlay(&root, frames, &chosen, spec.panel_size, top)?,
        }
        root.present().map_err(draw_err)?;
    }
    svg::add_text_alternative(&out, &spec.title, &spec.description)
}

fn panel_border<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v: &View,
) -> Result<(), PlotError> {
    let (l, t, r, b) = (v.ox, v.oy, v.ox + v.w as i32, v.oy + v.h as i32);
    area.draw(&Rectangle::new([(l, t), (r, b)], RGBColor(160, 168, 178)))
        .map_err(draw_err)
}

fn draw_strip<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chosen: &[&Frame],
    (pw, ph): (u32, u32),
    top: i32,
) -> Result<(), PlotError> {
    // one scale for every panel, so sizes compare; every panel has a caption
    let camera = Camera::fit(chosen, (pw, ph), true, false);
    let spacing = camera.grid(pw);
    for (k, f) in chosen.iter().enumerate() {
        let v = camera.view(f, ((GAP + k as u32 * (pw + GAP)) as i32, top), (pw, ph));
        swimmer::draw_background(root, &v, spacing)?;
        swimmer::draw_body(root, f, &v, 1.0)?;
        let caption = f.text.clone().unwrap_or_else(|| format!("frame {}", k + 1));
        swimmer::draw_caption(root, &caption, &v)?;
        panel_border(root, &v)?;
    }
    Ok(())
}

fn draw_overlay<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    all: &[Frame],
    chosen: &[&Frame],
    (pw, ph): (u32, u32),
    top: i32,
) -> Result<(), PlotError> {
    // camera fits every chosen body (the segments' extents plus a margin)
    let mut bounds = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for f in chosen {
        for s in &f.segments {
            let r = 0.5 * (s.length + s.width);
            bounds = (
                bounds.0.min(s.x - r),
                bounds.1.max(s.x + r),
                bounds.2.min(s.y - r),
                bounds.3.max(s.y + r),
            );
        }
    }
    let (bw, bh) = ((bounds.1 - bounds.0) * 1.1, (bounds.3 - bounds.2) * 1.1);
    let scale = (f64::from(pw) / bw).min(f64::from(ph) / bh);
    let (cx, cy) = (0.5 * (bounds.0 + bounds.1), 0.5 * (bounds.2 + bounds.3));
    let v = View {
        cx,
        cy,
        scale,
        ox: GAP as i32,
        oy: top,
        w: pw,
        h: ph,
    };
    let span = f64::from(pw) / scale;
    swimmer::draw_background(
        root,
        &v,
        swimmer::grid_spacing(span.min(3.0 * swimmer::follow_span(all))),
    )?;
    let centres: Vec<(f64, f64)> = all.iter().map(Frame::centre).collect();
    swimmer::draw_path(root, &centres, &v)?;
    let k = chosen.len();
    for (i, f) in chosen.iter().enumerate() {
        let alpha = if k == 1 {
            1.0
        } else {
            0.2 + 0.8 * i as f64 / (k - 1) as f64
        };
        swimmer::draw_body(root, f, &v, alpha)?;
    }
    if let Some(t) = &chosen[k - 1].text {
        swimmer::draw_caption(root, t, &v)?;
    }
    panel_border(root, &v)
}

/// Renders one frame into an RGB buffer, the camera on the body's centre; `trail` is the
/// path of the centre so far.
fn render_rgb(
    frame: &Frame,
    trail: &[(f64, f64)],
    camera: &Camera,
    (w, h): (u32, u32),
) -> Result<Vec<u8>, PlotError> {
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let v = camera.view(frame, (0, 0), (w, h));
        swimmer::draw_background(&root, &v, camera.grid(w))?;
        swimmer::draw_path(&root, trail, &v)?;
        swimmer::draw_body(&root, frame, &v, 1.0)?;
        if let Some(t) = &frame.text {
            swimmer::draw_caption(&root, t, &v)?;
        }
        swimmer::draw_readout(&root, &frame.readout, &v)?;
        root.present().map_err(draw_err)?;
    }
    Ok(buf)
}

fn check_bitmap_size(size: (u32, u32)) -> Result<(), PlotError> {
    check::size(size, (16, 16))?;
    if size.0 > u32::from(u16::MAX) || size.1 > u32::from(u16::MAX) {
        return Err(PlotError::Invalid {
            what: "size".into(),
            reason: "GIF sides are at most 65535".into(),
        });
    }
    Ok(())
}

/// Encodes frames as an animated GIF (looping forever) and returns its bytes.
///
/// Errors: as [`filmstrip_svg`], plus a non-positive or non-finite `fps`.
pub fn animation_gif_bytes(
    frames: &[Frame],
    fps: f64,
    size: (u32, u32),
) -> Result<Vec<u8>, PlotError> {
    crate::font::ensure_fonts()?;
    swimmer::validate(frames)?;
    check_bitmap_size(size)?;
    check::finite(fps, 0, || "fps".into())?;
    if fps <= 0.0 {
        return Err(PlotError::NonPositive {
            what: "fps".into(),
            index: 0,
            value: fps,
            why: "frames need a duration".into(),
        });
    }
    // GIF delays are in hundredths of a second; viewers treat below 2 as slow
    let delay = (100.0 / fps).round().clamp(2.0, 65535.0) as u16;
    let all: Vec<&Frame> = frames.iter().collect();
    let caption = frames.iter().any(|f| f.text.is_some());
    let readout = frames.iter().any(|f| !f.readout.is_empty());
    let camera = Camera::fit(&all, size, caption, readout);
    let centres: Vec<(f64, f64)> = frames.iter().map(Frame::centre).collect();
    let (w, h) = (size.0 as u16, size.1 as u16);
    let enc_err = |e: gif::EncodingError| PlotError::Encode {
        format: "gif",
        reason: e.to_string(),
    };
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w, h, &[]).map_err(enc_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(enc_err)?;
        for (i, f) in frames.iter().enumerate() {
            let rgb = render_rgb(f, &centres[..=i], &camera, size)?;
            let mut gf = gif::Frame::from_rgb_speed(w, h, &rgb, 10);
            gf.delay = delay;
            enc.write_frame(&gf).map_err(enc_err)?;
        }
    }
    Ok(out)
}

/// Writes frames as an animated GIF at `path` (atomically), `fps` frames per second.
pub fn animation_gif(
    frames: &[Frame],
    path: &Path,
    fps: f64,
    size: (u32, u32),
) -> Result<(), PlotError> {
    let bytes = animation_gif_bytes(frames, fps, size)?;
    svg::write_file(path, &bytes)
}

/// Renders a single frame as PNG bytes, the camera on the body's centre.
pub fn frame_png(frame: &Frame, size: (u32, u32)) -> Result<Vec<u8>, PlotError> {
    crate::font::ensure_fonts()?;
    swimmer::validate(std::slice::from_ref(frame))?;
    check_bitmap_size(size)?;
    let camera = Camera::fit(
        &[frame],
        size,
        frame.text.is_some(),
        !frame.readout.is_empty(),
    );
    let rgb = render_rgb(frame, &[], &camera, size)?;
    raster::encode_png(&rgb, size.0, size.1)
}

/// Writes a single frame as a PNG at `path` (atomically).
pub fn save_frame_png(frame: &Frame, path: &Path, size: (u32, u32)) -> Result<(), PlotError> {
    svg::write_file(path, &frame_png(frame, size)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pick_keeps_ends_and_spreads() {
        assert_eq!(super::pick(10, 4), [0, 3, 6, 9]);
        assert_eq!(super::pick(3, 6), [0, 1, 2]);
        assert_eq!(super::pick(100, 0).len(), 100);
    }

    use super::{BitMapBackend, Camera, Frame, IntoDrawingArea};
    use crate::Segment;
    use crate::swimmer::{HEAD, capsule};

    /// A straight swimmer of `n` segments 0.1 long, head first, heading `angle`, the head's
    /// centre at `(x, y)`.
    fn straight(n: usize, angle: f64, (x, y): (f64, f64)) -> Frame {
        let (dx, dy) = (angle.cos(), angle.sin());
        Frame {
            segments: (0..n)
                .map(|i| Segment {
                    x: x - 0.1 * i as f64 * dx,
                    y: y - 0.1 * i as f64 * dy,
                    heading: angle,
                    length: 0.1,
                    width: 0.02,
                })
                .collect(),
            text: Some("t = 5.90 s".into()),
            readout: vec![("osc".into(), vec![1.0, 0.0])],
        }
    }

    /// A swim that turns from along the panel to across it, the pose that used to lose its
    /// head at t ≈ 5.9 s in `ncap render` (640 × 400, caption and readout).
    fn turning_swim() -> Vec<Frame> {
        (0..=8)
            .map(|k| {
                let angle = std::f64::consts::FRAC_PI_2 * f64::from(k) / 8.0;
                straight(6, angle, (0.05 * f64::from(k), 0.3))
            })
            .collect()
    }

    #[test]
    fn every_pose_stays_inside_its_band() {
        let frames = turning_swim();
        let size = (640, 400);
        let all: Vec<&Frame> = frames.iter().collect();
        let camera = Camera::fit(&all, size, true, true);
        assert!(camera.top > 0 && camera.bottom < size.1, "{camera:?}");
        for (i, f) in frames.iter().enumerate() {
            let v = camera.view(f, (0, 0), size);
            for s in &f.segments {
                for (x, y) in capsule(s, &v) {
                    assert!(
                        (0..size.0 as i32).contains(&x)
                            && (camera.top as i32..=camera.bottom as i32).contains(&y),
                        "frame {i}: body point ({x}, {y}) outside 0..{} × {}..{}",
                        size.0,
                        camera.top,
                        camera.bottom
                    );
                }
            }
        }
    }

    #[test]
    fn the_head_is_drawn_in_every_frame_of_a_turning_swim() {
        crate::font::ensure_fonts().unwrap();
        let frames = turning_swim();
        let size = (640u32, 400u32);
        let all: Vec<&Frame> = frames.iter().collect();
        let camera = Camera::fit(&all, size, true, true);
        let heads = |rgb: &[u8]| {
            rgb.chunks(3)
                .filter(|p| (p[0], p[1], p[2]) == (HEAD.0, HEAD.1, HEAD.2))
                .count()
        };
        for (i, f) in frames.iter().enumerate() {
            let head = heads(&super::render_rgb(f, &[], &camera, size).unwrap());
            // the same body, pixel for pixel, in the middle of a canvas three times as large,
            // where nothing can crop it
            let (bw, bh) = (3 * size.0, 3 * size.1);
            let mut big = vec![255u8; (bw * bh * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut big, (bw, bh)).into_drawing_area();
                let v = camera.view(f, (size.0 as i32, size.1 as i32), size);
                crate::swimmer::draw_body(&root, f, &v, 1.0).unwrap();
                root.present().unwrap();
            }
            let whole = heads(&big);
            assert!(whole > 100, "frame {i}: the head is drawn ({whole} pixels)");
            assert_eq!(
                head, whole,
                "frame {i}: head pixels in the panel of the whole head's"
            );
        }
    }

    #[test]
    fn a_swimmer_along_the_panel_keeps_the_usual_zoom() {
        let frames = [straight(6, 0.0, (0.0, 0.0))];
        let all: Vec<&Frame> = frames.iter().collect();
        let camera = Camera::fit(&all, (640, 400), true, true);
        // min(640, 1.5 · 400) pixels for 1.3 body lengths
        assert!(
            (camera.scale - 600.0 / (1.3 * 0.6)).abs() < 1e-9,
            "{camera:?}"
        );
    }

    #[test]
    fn readout_bars_rise_with_activity() {
        let frame = super::Frame {
            readout: vec![("a".into(), vec![1.0, 0.0, f64::NAN])],
            ..super::Frame::default()
        };
        crate::font::ensure_fonts().unwrap();
        let (w, h) = (200u32, 150u32);
        let camera = super::Camera {
            scale: 200.0,
            top: 0,
            bottom: h,
        };
        let rgb = super::render_rgb(&frame, &[], &camera, (w, h)).unwrap();
        let px = |x: i32, y: i32| {
            let i = (y as usize * w as usize + x as usize) * 3;
            (rgb[i], rgb[i + 1], rgb[i + 2])
        };
        // bars start at x = 8, 11 px apart; the baseline sits above the label
        let mid = h as i32 - 6 - crate::style::TICK_PX as i32 - 4 - 20;
        let body = crate::swimmer::BODY;
        assert_eq!(px(12, mid), (body.0, body.1, body.2), "full bar");
        assert_eq!(px(23, mid), (222, 228, 236), "silent unit: track only");
        assert_eq!(px(34, mid), (222, 228, 236), "NaN is drawn silent");
    }
}
