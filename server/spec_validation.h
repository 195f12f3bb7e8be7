// Spec validation: everything a submit or ValidateModel checks before a job
// may run -- the spec is within the server's limits (size, layers, and
// parameters, counted before any weight is allocated), names are clean, the
// spec builds (Model::Create, errors as "spec.<field path>"),
// the train config is valid ("config.<field>"), the model's input shape
// matches the dataset's per-sample features, and the labels fit the loss
// and the output units. Also the summary conversion to the API message.
//
// A first layer without input_shape takes the dataset's feature shape (as
// Keras builds a model on its first batch).
//
// Stateless; thread-safe. Builds (and destroys) a Model on the calling
// thread; the Model is never run, so no oneDNN primitive is created here.
#ifndef PROFUNDO_SERVER_SPEC_VALIDATION_H_
#define PROFUNDO_SERVER_SPEC_VALIDATION_H_

#include "absl/status/statusor.h"
#include "engine/model.h"
#include "profundo/v1/service.pb.h"
#include "server/catalog.h"
#include "server/limits.h"

namespace profundo::server {

struct SpecCheck {
  // Optional: the training data and validation data, with the request field
  // that named them ("dataset_id", "validation_dataset_id").
  const DatasetRecord* dataset = nullptr;
  const DatasetRecord* validation = nullptr;
  // Optional: the fit arguments.
  const v1::TrainConfig* config = nullptr;
  // The server's limits on spec size, layers and parameters
  // (RESOURCE_EXHAUSTED naming the flag); the defaults if null.
  const Limits* limits = nullptr;
};

// Validates `spec` (completing the first layer's input_shape from the
// dataset if it is unset) and returns the model's summary.
absl::StatusOr<v1::ModelSummary> ValidateSpec(v1::ModelSpec* spec,
                                              const SpecCheck& check);

v1::ModelSummary ToProto(const Summary& summary);

}  // namespace profundo::server

#endif  // PROFUNDO_SERVER_SPEC_VALIDATION_H_
