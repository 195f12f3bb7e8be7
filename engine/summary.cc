// Model::summary and Keras's model.summary() table.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/model.h"

namespace profundo {
namespace {

std::string WithCommas(int64_t v) {
  std::string digits = absl::StrCat(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string KerasShape(const Shape& sample) {
  std::string s = "(None";
  for (int64_t d : sample) absl::StrAppend(&s, ", ", d);
  return s + ")";
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

Summary Model::summary() const {
  Summary s;
  s.model_name = spec_.name().empty() ? "sequential" : spec_.name();
  for (size_t i = 0; i < layers_.size(); ++i) {
    SummaryRow row;
    row.name = layers_[i]->name();
    row.type = layers_[i]->type();
    row.output_shape = layer_shapes_[i];
    const int end = i + 1 < layers_.size()
                        ? layer_param_begin_[i + 1]
                        : static_cast<int>(params_.params().size());
    for (int id = layer_param_begin_[i]; id < end; ++id) {
      row.params += params_.param(id).size;
    }
    s.rows.push_back(std::move(row));
  }
  s.trainable = params_.trainable_count();
  s.non_trainable = params_.non_trainable_count();
  s.total = s.trainable + s.non_trainable;
  return s;
}

std::string Summary::ToString() const {
  const std::string rule(65, '_'), double_rule(65, '=');
  std::string out = absl::StrCat("Model: \"", model_name, "\"\n", rule, "\n");
  absl::StrAppend(&out, Pad(" Layer (type)", 29), Pad("Output Shape", 26),
                  "Param #\n", double_rule, "\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const SummaryRow& r = rows[i];
    absl::StrAppend(&out,
                    Pad(absl::StrCat(" ", r.name, " (", r.type, ")"), 29),
                    Pad(KerasShape(r.output_shape), 26), WithCommas(r.params),
                    "\n");
    if (i + 1 < rows.size()) absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, double_rule, "\n");
  absl::StrAppend(&out, "Total params: ", WithCommas(total), "\n");
  absl::StrAppend(&out, "Trainable params: ", WithCommas(trainable), "\n");
  absl::StrAppend(&out, "Non-trainable params: ", WithCommas(non_trainable),
                  "\n", rule, "\n");
  return out;
}

}  // namespace profundo
