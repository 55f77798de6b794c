// Anchor translation unit for the shared LibTorch precompiled header.
namespace chop { int torch_pch_anchor = 0; }
