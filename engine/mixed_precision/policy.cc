#include "engine/mixed_precision/policy.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dnnl.hpp"

namespace profundo {

absl::StatusOr<DtypePolicy> ParseDtypePolicy(std::string_view name,
                                             std::string_view field) {
  if (name.empty() || name == "float32") return DtypePolicy::kFloat32;
  if (name == "mixed_bfloat16") return DtypePolicy::kMixedBfloat16;
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), " \"", std::string(name),
                   "\" is not supported (float32, mixed_bfloat16)"));
}

const char* DtypePolicyName(DtypePolicy policy) {
  switch (policy) {
    case DtypePolicy::kMixedBfloat16:
      return "mixed_bfloat16";
    case DtypePolicy::kFloat32:
      break;
  }
  return "float32";
}

namespace {

// Whether oneDNN builds a bf16 inner product (bf16 src and weights, f32
// dst) on this CPU.
bool Bf16InnerProductAvailable() {
  using dnnl::memory;
  try {
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    const memory::desc src({8, 32}, memory::data_type::bf16,
                           memory::format_tag::nc);
    const memory::desc weights({16, 32}, memory::data_type::bf16,
                               memory::format_tag::io);
    const memory::desc dst({8, 16}, memory::data_type::f32,
                           memory::format_tag::nc);
    const dnnl::inner_product_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_training, src, weights, dst}, engine);
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

}  // namespace

absl::Status CheckDtypePolicySupported(DtypePolicy policy,
                                       std::string_view field) {
  if (policy == DtypePolicy::kFloat32) return absl::OkStatus();
  static const bool available = Bf16InnerProductAvailable();
  if (available) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      std::string(field),
      " \"mixed_bfloat16\" needs a CPU with AVX-512 (oneDNN has no bfloat16 "
      "inner product on this one); use \"float32\""));
}

}  // namespace profundo
