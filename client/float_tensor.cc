#include "client/float_tensor.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace profundo {
namespace {

uint32_t FloatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

float BitsFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace

v1::FloatTensor PackFloatTensor(absl::Span<const float> values,
                                const std::vector<int64_t>& shape) {
  v1::FloatTensor t;
  for (int64_t d : shape) t.add_shape(d);
  std::string* data = t.mutable_data();
  data->resize(values.size() * 4);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint32_t bits = FloatBits(values[i]);
    for (int b = 0; b < 4; ++b) {
      (*data)[4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
  }
  return t;
}

absl::StatusOr<std::vector<float>> UnpackFloatTensor(const v1::FloatTensor& t) {
  if (!t.data().empty() && t.values_size() > 0) {
    return absl::InvalidArgumentError("tensor has both values and data");
  }
  std::vector<float> out;
  if (t.values_size() > 0) {
    out.assign(t.values().begin(), t.values().end());
  } else {
    const std::string& data = t.data();
    if (data.size() % 4 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor data has ", data.size(),
                       " bytes, not a multiple of 4"));
    }
    out.resize(data.size() / 4);
    for (size_t i = 0; i < out.size(); ++i) {
      uint32_t bits = 0;
      for (int b = 0; b < 4; ++b) {
        bits |= static_cast<uint32_t>(static_cast<unsigned char>(data[4 * i + b]))
                << (8 * b);
      }
      out[i] = BitsFloat(bits);
    }
  }
  int64_t expected = 1;
  for (int64_t d : t.shape()) expected *= d;
  if (static_cast<int64_t>(out.size()) != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor has ", out.size(), " elements, its shape needs ",
                     expected));
  }
  return out;
}

absl::Status AppendRows(const v1::FloatTensor& part, v1::FloatTensor* acc) {
  if (acc->shape_size() == 0) {
    *acc = part;
    return absl::OkStatus();
  }
  if (part.shape_size() != acc->shape_size() || part.shape_size() == 0 ||
      !std::equal(part.shape().begin() + 1, part.shape().end(),
                  acc->shape().begin() + 1)) {
    return absl::InvalidArgumentError("tensor rows have different shapes");
  }
  absl::StatusOr<std::vector<float>> head = UnpackFloatTensor(*acc);
  if (!head.ok()) return head.status();
  absl::StatusOr<std::vector<float>> tail = UnpackFloatTensor(part);
  if (!tail.ok()) return tail.status();
  head->insert(head->end(), tail->begin(), tail->end());
  std::vector<int64_t> shape(acc->shape().begin(), acc->shape().end());
  shape[0] += part.shape(0);
  *acc = PackFloatTensor(*head, shape);
  return absl::OkStatus();
}

v1::FloatTensor ToValuesForm(const v1::FloatTensor& t) {
  absl::StatusOr<std::vector<float>> values = UnpackFloatTensor(t);
  if (!values.ok()) return t;
  v1::FloatTensor out;
  *out.mutable_shape() = t.shape();
  out.mutable_values()->Add(values->begin(), values->end());
  return out;
}

}  // namespace profundo
