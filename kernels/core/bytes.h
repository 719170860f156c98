// Byte streams for saving and loading prepared kernels (rsr/serialize.h).
// ByteReader never reads out of bounds: every read checks the remaining size
// and throws rsr::Error("file") on truncation or an implausible count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/core/aligned.h"
#include "rsr/error.h"

namespace rsr {

class ByteWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  // A length-prefixed array (u64 count, then the elements).
  template <typename T>
  void PutArray(const T* data, size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    Put<uint64_t>(n);
    const auto* p = reinterpret_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + n * sizeof(T));
  }
  template <typename T>
  void PutArray(const AlignedBuffer<T>& b) { PutArray(b.data(), b.size()); }
  template <typename T>
  void PutArray(const std::vector<T>& v) { PutArray(v.data(), v.size()); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  template <typename T>
  T Get(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  // Reads a length-prefixed array whose count must equal `expected`.
  template <typename T>
  void GetArray(AlignedBuffer<T>& out, size_t expected, const char* what) {
    const uint64_t n = GetCount(expected, sizeof(T), what);
    out.Resize(n);
    if (n) std::memcpy(static_cast<void*>(out.data()), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  template <typename T>
  void GetArray(std::vector<T>& out, size_t expected, const char* what) {
    const uint64_t n = GetCount(expected, sizeof(T), what);
    out.resize(n);
    if (n) std::memcpy(static_cast<void*>(out.data()), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  size_t remaining() const { return bytes_.size() - pos_; }
  void ExpectEnd() const {
    if (remaining() != 0)
      throw Error("file", std::to_string(remaining()) + " unexpected trailing bytes");
  }

 private:
  void Need(size_t n, const char* what) const {
    if (n > remaining())
      throw Error("file", std::string("truncated while reading ") + what);
  }
  uint64_t GetCount(size_t expected, size_t elem, const char* what) {
    const uint64_t n = Get<uint64_t>(what);
    if (n != expected)
      throw Error("file", std::string(what) + ": count " + std::to_string(n) +
                              " does not match the shape (expected " +
                              std::to_string(expected) + ")");
    if (n > remaining() / elem)
      throw Error("file", std::string("truncated while reading ") + what);
    return n;
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace rsr
