/*
 * Module Name: scratch.h
 *
 * Abstract: a per-thread, grow-only, 64-byte-aligned scratch buffer for the baseline driver code
 * (gemm.cc, dense.cc); not for the ISA-flagged files.
 */
#pragma once

#include <cstddef>
#include <cstdlib>

namespace nn::kernels {

class Scratch {
 public:
  static constexpr std::size_t kAlign = 64;
  ~Scratch() { std::free(data_); }
  // At least `floats` floats (the contents are not kept when it grows), or null when out of memory.
  float* Get(std::size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      const std::size_t bytes = (floats * sizeof(float) + kAlign - 1) / kAlign * kAlign;
      data_ = static_cast<float*>(std::aligned_alloc(kAlign, bytes));
      capacity_ = data_ != nullptr ? floats : 0;
    }
    return data_;
  }
  // Gives the memory back when it holds more than `keep` floats.
  void Trim(std::size_t keep) {
    if (capacity_ > keep) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
    }
  }

 private:
  float* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace nn::kernels
