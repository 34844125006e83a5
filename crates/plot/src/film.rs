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
    // one scale for every panel, so sizes compare
    let owned: Vec<Frame> = chosen.iter().map(|f| (*f).clone()).collect();
    let span = swimmer::follow_span(&owned);
    let scale = f64::from(pw.min(ph * 3 / 2)) / span;
    let spacing = swimmer::grid_spacing(span);
    for (k, f) in chosen.iter().enumerate() {
        let (cx, cy) = f.centre();
        let v = View {
            cx,
            cy,
            scale,
            ox: (GAP + k as u32 * (pw + GAP)) as i32,
            oy: top,
            w: pw,
            h: ph,
        };
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
    span: f64,
    (w, h): (u32, u32),
) -> Result<Vec<u8>, PlotError> {
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let (cx, cy) = frame.centre();
        let scale = f64::from(w.min(h * 3 / 2)) / span;
        let v = View {
            cx,
            cy,
            scale,
            ox: 0,
            oy: 0,
            w,
            h,
        };
        swimmer::draw_background(&root, &v, swimmer::grid_spacing(span))?;
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
    let span = swimmer::follow_span(frames);
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
            let rgb = render_rgb(f, &centres[..=i], span, size)?;
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
    let rgb = frame_rgb(frame, size)?;
    raster::encode_png(&rgb, size.0, size.1)
}

/// Renders a single frame as raw RGB bytes, row-major `height × width × 3` (the layout of a
/// Gymnasium `rgb_array` frame), the camera on the body's centre.
pub fn frame_rgb(frame: &Frame, size: (u32, u32)) -> Result<Vec<u8>, PlotError> {
    crate::font::ensure_fonts()?;
    swimmer::validate(std::slice::from_ref(frame))?;
    check_bitmap_size(size)?;
    render_rgb(
        frame,
        &[],
        swimmer::follow_span(std::slice::from_ref(frame)),
        size,
    )
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

    #[test]
    fn readout_bars_rise_with_activity() {
        let frame = super::Frame {
            readout: vec![("a".into(), vec![1.0, 0.0, f64::NAN])],
            ..super::Frame::default()
        };
        crate::font::ensure_fonts().unwrap();
        let (w, h) = (200u32, 150u32);
        let rgb = super::render_rgb(&frame, &[], 1.0, (w, h)).unwrap();
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
