// NPY v1.0 files (little-endian <f4 / <i8, C order) and the export of a data set's six splits,
// written so that numpy.load and mase_peer.py (`--data npy:DIR`) read exactly chop's tensors.
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "data/dataset.h"

namespace chop::data {

/// The bytes of an NPY v1.0 file holding `t` (float32 -> <f4, int64 -> <i8; other dtypes are
/// an internal error). The header is padded so the data starts at a multiple of 64 bytes.
std::string npy_bytes(const at::Tensor& t);

/// Reads an NPY v1.0/v2.0 file of <f4, <f8, <i8, <i4 or |u1 in C order; returns a float32 or
/// int64 tensor (f8 -> float32, i4/u1 -> int64). Throws DataError naming the file otherwise.
at::Tensor read_npy(const std::string& path);

/// Writes X_train, y_train, X_val, y_val, X_test, y_test (.npy) and dataset.json (the info)
/// into `out_dir`. Every file is first written to a temporary and only renamed into place when
/// all of them were written, so a failure leaves no half-written or mixed export behind.
void export_npy(const Splits& splits, const std::string& out_dir);

/// Reads an export written by export_npy back (info.name/input_shape/n_classes from dataset.json
/// when present, else derived from the arrays).
Splits load_npy_dir(const std::string& dir);

}  // namespace chop::data
