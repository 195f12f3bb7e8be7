// libFuzzer target: the spec validator. The input is a serialized
// v1::ValidateModelRequest (spec and optional config); when its dataset_id
// is set, the spec is also checked against a small synthetic dataset
// record (4x4 features, 3 classes), as SubmitJob does. ValidateSpec builds
// the Model (Model::Create) within tight limits, so every path up to the
// weights' allocation runs. Any input must give a summary or a status.
#include <cstddef>
#include <cstdint>

#include "profundo/v1/service.pb.h"
#include "server/limits.h"
#include "server/spec_validation.h"

namespace {

profundo::server::DatasetRecord SyntheticRecord() {
  profundo::server::DatasetRecord record;
  record.format = profundo::v1::DATA_FORMAT_IDX;
  record.info.set_id("ds-fuzz");
  record.info.set_rows(300);
  record.info.add_feature_shape(4);
  record.info.add_feature_shape(4);
  record.info.set_num_classes(3);
  return record;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  profundo::v1::ValidateModelRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const profundo::server::DatasetRecord* record =
      new profundo::server::DatasetRecord(SyntheticRecord());
  profundo::server::Limits limits;
  limits.max_model_params = 100'000;
  limits.max_layers = 64;
  limits.max_spec_bytes = 16 << 10;
  profundo::server::SpecCheck check;
  check.limits = &limits;
  if (request.has_config()) check.config = &request.config();
  if (!request.dataset_id().empty()) check.dataset = record;
  profundo::v1::ModelSpec spec = request.spec();
  absl::StatusOr<profundo::v1::ModelSummary> summary =
      profundo::server::ValidateSpec(&spec, check);
  if (summary.ok() && summary->total_params() > limits.max_model_params) {
    __builtin_trap();  // the limit was not enforced
  }
  return 0;
}
