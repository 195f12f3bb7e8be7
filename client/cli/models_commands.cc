// Model commands: validate (alias summary), models, model.
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "client/cli/output.h"
#include "client/json.h"
#include "engine/status_macros.h"

namespace profundo::cli {
namespace {

// The server's Keras-style text, or a plain table when it sent none.
std::string SummaryText(const v1::ModelSummary& s) {
  if (!s.text().empty()) return s.text();
  Table t({"LAYER", "TYPE", "OUTPUT SHAPE", "PARAMS"});
  t.SetRightAligned(3);
  for (const v1::LayerSummary& l : s.layers()) {
    t.AddRow({l.name(), l.type(), FormatShape(l.output_shape()),
              absl::StrCat(l.params())});
  }
  return absl::StrCat("Model: \"", s.model_name(), "\"\n", t.Render(),
                      "Total params: ", s.total_params(),
                      "\nTrainable params: ", s.trainable_params(),
                      "\nNon-trainable params: ", s.non_trainable_params(),
                      "\n");
}

std::string Metric(double v) { return absl::StrFormat("%.4f", v); }

}  // namespace

absl::Status RunValidate(const CommandContext& ctx) {
  std::string spec_path;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a model spec JSON file", &spec_path));
  v1::ValidateModelRequest request;
  PROFUNDO_RETURN_IF_ERROR(ReadJsonFile(spec_path, request.mutable_spec()));
  request.set_dataset_id(absl::GetFlag(FLAGS_dataset));
  if (!absl::GetFlag(FLAGS_config).empty()) {
    PROFUNDO_RETURN_IF_ERROR(
        ReadJsonFile(absl::GetFlag(FLAGS_config), request.mutable_config()));
  }
  PROFUNDO_ASSIGN_OR_RETURN(v1::ValidateModelResponse r,
                            ctx.client->ValidateModel(request));
  if (PrintedAsJson(ctx, r)) return absl::OkStatus();
  *ctx.out << SummaryText(r.summary());
  return absl::OkStatus();
}

absl::Status RunListModels(const CommandContext& ctx) {
  v1::ListModelsRequest request;
  request.set_name(absl::GetFlag(FLAGS_name));
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  PROFUNDO_ASSIGN_OR_RETURN(v1::ListModelsResponse r,
                            ctx.client->ListModels(request));
  if (PrintedAsJson(ctx, r)) return absl::OkStatus();
  Table t({"ID", "NAME", "VERSIONS", "LATEST", "STATE", "LOSS", "ACCURACY",
           "CREATED"});
  for (size_t c : {2, 3, 5, 6}) t.SetRightAligned(c);
  for (const v1::Model& m : r.models()) {
    std::vector<std::string> row = {m.id(), m.name(),
                                    absl::StrCat(m.versions_size())};
    if (m.versions_size() > 0) {
      const v1::ModelVersion& v = *m.versions().rbegin();
      const bool ready = v.state() == v1::MODEL_VERSION_STATE_READY;
      row.push_back(absl::StrCat(v.version()));
      row.push_back(VersionStateName(v.state()));
      row.push_back(ready ? Metric(v.final_metrics().loss()) : "-");
      row.push_back(ready ? Metric(v.final_metrics().accuracy()) : "-");
    } else {
      row.insert(row.end(), {"-", "-", "-", "-"});
    }
    row.push_back(FormatTimestamp(m.create_time()));
    t.AddRow(row);
  }
  *ctx.out << t.Render();
  PrintNextPage(ctx, r.next_page_token());
  return absl::OkStatus();
}

absl::Status RunGetModel(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a model id", &id));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Model m, ctx.client->GetModel(id));
  if (PrintedAsJson(ctx, m)) return absl::OkStatus();
  *ctx.out << m.id() << " (" << m.name() << "), created "
           << FormatTimestamp(m.create_time()) << "\n";
  Table t({"VERSION", "STATE", "JOB", "LOSS", "ACCURACY", "VAL_LOSS",
           "VAL_ACCURACY", "CREATED"});
  for (size_t c : {0, 3, 4, 5, 6}) t.SetRightAligned(c);
  for (const v1::ModelVersion& v : m.versions()) {
    const bool ready = v.state() == v1::MODEL_VERSION_STATE_READY;
    const v1::EpochMetrics& f = v.final_metrics();
    t.AddRow({absl::StrCat(v.version()), VersionStateName(v.state()), v.job_id(),
              ready ? Metric(f.loss()) : "-", ready ? Metric(f.accuracy()) : "-",
              ready && f.has_val_loss() ? Metric(f.val_loss()) : "-",
              ready && f.has_val_accuracy() ? Metric(f.val_accuracy()) : "-",
              FormatTimestamp(v.create_time())});
  }
  *ctx.out << t.Render();
  return absl::OkStatus();
}

}  // namespace profundo::cli
