// DtypePolicy: Keras's mixed-precision policy (tf.keras.mixed_precision.
// Policy), chosen for the whole model by ModelSpec.dtype_policy.
//
//   kFloat32        "float32": every computation and variable in float32.
//   kMixedBfloat16  "mixed_bfloat16": variables (weights, optimizer slots,
//                   gradients) stay float32; Dense computes its three inner
//                   products (forward, backward data, backward weights) with
//                   bfloat16 inputs and float32 accumulation and outputs.
//                   The other layers, the losses and the optimizers stay
//                   float32 (as Keras keeps batch normalization and softmax
//                   in float32 under a mixed policy). About 2x the f32 GEMM
//                   rate on CPUs with AVX-512 BF16; inputs lose their low 16
//                   mantissa bits (relative error ~4e-3 per operand).
//
// Free functions; thread-safe.
//
// Example:
//   PROFUNDO_ASSIGN_OR_RETURN(DtypePolicy p,
//       ParseDtypePolicy(spec.dtype_policy(), "dtype_policy"));
#ifndef PROFUNDO_ENGINE_MIXED_PRECISION_POLICY_H_
#define PROFUNDO_ENGINE_MIXED_PRECISION_POLICY_H_

#include <string_view>

#include "absl/status/statusor.h"

namespace profundo {

enum class DtypePolicy { kFloat32, kMixedBfloat16 };

// "" and "float32" -> kFloat32, "mixed_bfloat16" -> kMixedBfloat16; anything
// else is INVALID_ARGUMENT "<field> \"x\" is not supported (float32,
// mixed_bfloat16)".
absl::StatusOr<DtypePolicy> ParseDtypePolicy(std::string_view name,
                                             std::string_view field);

// Keras's name of the policy.
const char* DtypePolicyName(DtypePolicy policy);

// OK when this CPU can run the policy: kMixedBfloat16 needs oneDNN's bf16
// inner product (AVX-512; native with AVX-512 BF16, emulated on plain
// AVX-512). Else FAILED_PRECONDITION naming `field`. The answer is computed
// once per process.
absl::Status CheckDtypePolicySupported(DtypePolicy policy,
                                       std::string_view field);

}  // namespace profundo

#endif  // PROFUNDO_ENGINE_MIXED_PRECISION_POLICY_H_
