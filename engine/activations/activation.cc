#include "engine/activations/activation.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace profundo {
namespace {

struct NamedKind {
  const char* name;
  ActivationKind kind;
};

constexpr NamedKind kActivations[] = {
    {"linear", ActivationKind::kLinear},
    {"sigmoid", ActivationKind::kSigmoid},
    {"tanh", ActivationKind::kTanh},
    {"relu", ActivationKind::kRelu},
    {"leaky_relu", ActivationKind::kLeakyRelu},
    {"elu", ActivationKind::kElu},
    {"selu", ActivationKind::kSelu},
    {"softmax", ActivationKind::kSoftmax},
};

}  // namespace

absl::StatusOr<ActivationKind> ParseActivation(std::string_view name,
                                               std::string_view field) {
  if (name.empty()) return ActivationKind::kLinear;
  std::string accepted;
  for (const NamedKind& a : kActivations) {
    if (name == a.name) return a.kind;
    absl::StrAppend(&accepted, accepted.empty() ? "" : ", ", a.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " must be one of ", accepted, "; got \"",
                   std::string(name), "\""));
}

const char* ActivationName(ActivationKind kind) {
  for (const NamedKind& a : kActivations) {
    if (a.kind == kind) return a.name;
  }
  return "linear";
}

}  // namespace profundo
