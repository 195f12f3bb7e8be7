#include "server/spec_validation.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/health/lr_range_test.h"
#include "engine/status_macros.h"
#include "google/protobuf/reflection.h"
#include "server/ids.h"

namespace profundo::server {
namespace {

// Re-roots an engine error under `prefix` ("spec." + "layers[2]...").
absl::Status Under(absl::string_view prefix, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

// Returns the field path of the first layer's `input_shape` (every layer
// kind that has one), or "" if it has none; if it is unset and `fill` is not
// null, sets it to `fill`.
std::string FirstInputShape(v1::ModelSpec* spec, const Shape* fill) {
  if (spec->layers_size() == 0) return "";
  v1::Layer* layer = spec->mutable_layers(0);
  const google::protobuf::Reflection* refl = layer->GetReflection();
  const google::protobuf::FieldDescriptor* kind = refl->GetOneofFieldDescriptor(
      *layer, layer->GetDescriptor()->FindOneofByName("kind"));
  if (kind == nullptr) return "";
  google::protobuf::Message* body = refl->MutableMessage(layer, kind);
  const google::protobuf::FieldDescriptor* field =
      body->GetDescriptor()->FindFieldByName("input_shape");
  if (field == nullptr) return "";
  auto shape =
      body->GetReflection()->GetMutableRepeatedFieldRef<int64_t>(body, field);
  if (shape.empty() && fill != nullptr) {
    for (int64_t d : *fill) shape.Add(d);
  }
  return absl::StrCat("spec.layers[0].", kind->name(), ".input_shape");
}

Shape FeatureShape(const v1::Dataset& info) {
  return Shape(info.feature_shape().begin(), info.feature_shape().end());
}

Shape LabelShape(const v1::Dataset& info) {
  return Shape(info.label_shape().begin(), info.label_shape().end());
}

absl::Status CheckInput(const ModelDescription& model,
                        const DatasetRecord& data, absl::string_view field,
                        const std::string& path) {
  if (model.input_shape == FeatureShape(data.info)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      path.empty() ? "spec.layers[0] input shape" : path, " ",
      ShapeToString(model.input_shape), " does not match ", field, " ",
      data.info.id(), " features ", ShapeToString(FeatureShape(data.info))));
}

absl::Status CheckLabels(const ModelDescription& model,
                         const std::string& loss, const DatasetRecord& data,
                         absl::string_view field) {
  const Shape& out = model.output_shape;
  const int64_t units = NumElements(out);
  const Shape labels = LabelShape(data.info);
  const std::string where = absl::StrCat(field, " ", data.info.id(), " labels");
  if (loss == "sparse_categorical_crossentropy") {
    if (!labels.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " have shape ", ShapeToString(labels),
          " per row; sparse_categorical_crossentropy needs one integer class "
          "id per row"));
    }
    if (data.info.num_classes() > units) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " go up to ", data.info.num_classes() - 1,
          " but the model's output has ", units, " units (labels must be in [0, ",
          units, "))"));
    }
    return absl::OkStatus();
  }
  if (labels.empty()) {
    // One number per row: binary labels or a scalar regression target.
    if (units != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " are one number per row but the model's output has ", units,
          " units (", loss, " needs labels of shape ", ShapeToString(out),
          ")"));
    }
    if (loss == "binary_crossentropy" && data.info.num_classes() > 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " go up to ", data.info.num_classes() - 1,
          "; binary_crossentropy needs labels 0 or 1"));
    }
    return absl::OkStatus();
  }
  if (labels != out) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " have shape ", ShapeToString(labels),
        " per row but the model's output is ", ShapeToString(out)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ModelSummary> ValidateSpec(v1::ModelSpec* spec,
                                              const SpecCheck& check) {
  const Limits limits = check.limits != nullptr ? *check.limits : Limits();
  PROFUNDO_RETURN_IF_ERROR(CheckLimit(
      "spec size in bytes", static_cast<int64_t>(spec->ByteSizeLong()),
      "max_spec_bytes", limits.max_spec_bytes));
  PROFUNDO_RETURN_IF_ERROR(CheckLimit("spec.layers count", spec->layers_size(),
                                      "max_layers", limits.max_layers));
  PROFUNDO_RETURN_IF_ERROR(ValidateName(spec->name(), "spec.name", false));
  for (int i = 0; i < spec->layers_size(); ++i) {
    PROFUNDO_RETURN_IF_ERROR(ValidateName(
        spec->layers(i).name(), absl::StrCat("spec.layers[", i, "].name"),
        false));
  }
  Shape features;
  if (check.dataset != nullptr) features = FeatureShape(check.dataset->info);
  const std::string input_path = FirstInputShape(
      spec, check.dataset != nullptr ? &features : nullptr);
  // No weights: a client that may only predict can ask for this.
  absl::StatusOr<ModelDescription> model =
      Model::Describe(*spec, limits.max_model_params);
  if (absl::IsResourceExhausted(model.status())) {
    return absl::ResourceExhaustedError(
        absl::StrCat("spec.", model.status().message(),
                     " (the server's --max_model_params)"));
  }
  if (!model.ok()) return Under("spec.", model.status());
  if (check.config != nullptr) {
    const absl::Status config =
        check.config->has_lr_range_test()
            ? LrRangeOptionsFromConfig(*check.config, "config").status()
            : FitOptionsFromConfig(
                  *check.config,
                  spec->optimizer().has_learning_rate_schedule(), "config")
                  .status();
    if (!config.ok()) {
      // The engine names fields from `field`; make sure they are rooted.
      if (absl::StartsWith(config.message(), "config")) return config;
      return Under("config: ", config);
    }
  }
  for (auto [data, field] :
       {std::pair{check.dataset, "dataset_id"},
        std::pair{check.validation, "validation_dataset_id"}}) {
    if (data == nullptr) continue;
    PROFUNDO_RETURN_IF_ERROR(CheckInput(*model, *data, field, input_path));
    PROFUNDO_RETURN_IF_ERROR(CheckLabels(*model, spec->loss(), *data, field));
  }
  return ToProto(model->summary);
}

v1::ModelSummary ToProto(const Summary& summary) {
  v1::ModelSummary out;
  out.set_model_name(summary.model_name);
  for (const SummaryRow& row : summary.rows) {
    v1::LayerSummary* layer = out.add_layers();
    layer->set_name(row.name);
    layer->set_type(row.type);
    for (int64_t d : row.output_shape) layer->add_output_shape(d);
    layer->set_params(row.params);
  }
  out.set_total_params(summary.total);
  out.set_trainable_params(summary.trainable);
  out.set_non_trainable_params(summary.non_trainable);
  out.set_text(summary.ToString());
  return out;
}

}  // namespace profundo::server
