// Dataset commands: upload, datasets, dataset, delete-dataset.
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "client/cli/output.h"
#include "engine/status_macros.h"

namespace profundo::cli {
namespace {

// The upload the flags describe: --images + --labels (IDX), --csv (CSV) or
// --npy + --labels (NPY).
absl::StatusOr<DatasetUpload> UploadFromFlags() {
  DatasetUpload up;
  up.name = absl::GetFlag(FLAGS_name);
  const std::string images = absl::GetFlag(FLAGS_images);
  const std::string csv = absl::GetFlag(FLAGS_csv);
  const std::string npy = absl::GetFlag(FLAGS_npy);
  const std::string labels = absl::GetFlag(FLAGS_labels);
  const int given = !images.empty() + !csv.empty() + !npy.empty();
  if (given != 1) {
    return UsageError(
        "upload needs exactly one of --images (IDX), --csv or --npy");
  }
  if (up.name.empty()) return UsageError("upload needs --name");
  if (!csv.empty()) {
    if (!labels.empty()) {
      return UsageError(
          "--labels does not apply to --csv (use --label_column)");
    }
    up.format = v1::DATA_FORMAT_CSV;
    up.features = UploadSource::FromFile(csv);
    up.csv.set_header(absl::GetFlag(FLAGS_csv_header));
    up.csv.set_label_column(absl::GetFlag(FLAGS_label_column));
    return up;
  }
  if (labels.empty()) {
    return UsageError(absl::StrCat(
        "upload --", images.empty() ? "npy" : "images", " needs --labels"));
  }
  up.format = images.empty() ? v1::DATA_FORMAT_NPY : v1::DATA_FORMAT_IDX;
  up.features = UploadSource::FromFile(images.empty() ? npy : images);
  up.labels = UploadSource::FromFile(labels);
  return up;
}

std::string DescribeDataset(const v1::Dataset& d) {
  return absl::StrCat(d.id(), " (", d.name(), "): ", FormatName(d.format()), ", ",
                      d.rows(), " rows, features ", FormatShape(d.feature_shape()),
                      ", ", d.num_classes(), " classes, ",
                      FormatBytes(d.size_bytes()));
}

}  // namespace

absl::Status RunUpload(const CommandContext& ctx) {
  if (!ctx.args.empty()) {
    return UsageError(
        absl::StrCat("upload takes no arguments, got '", ctx.args[0], "'"));
  }
  PROFUNDO_ASSIGN_OR_RETURN(DatasetUpload up, UploadFromFlags());
  PROFUNDO_ASSIGN_OR_RETURN(v1::Dataset d, ctx.client->UploadDataset(up));
  if (PrintedAsJson(ctx, d)) return absl::OkStatus();
  *ctx.out << "Uploaded " << DescribeDataset(d) << "\n";
  return absl::OkStatus();
}

absl::Status RunListDatasets(const CommandContext& ctx) {
  v1::ListDatasetsRequest request;
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  PROFUNDO_ASSIGN_OR_RETURN(v1::ListDatasetsResponse r,
                            ctx.client->ListDatasets(request));
  if (PrintedAsJson(ctx, r)) return absl::OkStatus();
  Table t({"ID", "NAME", "FORMAT", "ROWS", "FEATURES", "CLASSES", "SIZE",
           "CREATED"});
  t.SetRightAligned(3);
  t.SetRightAligned(5);
  t.SetRightAligned(6);
  for (const v1::Dataset& d : r.datasets()) {
    t.AddRow({d.id(), d.name(), FormatName(d.format()), absl::StrCat(d.rows()),
              FormatShape(d.feature_shape()), absl::StrCat(d.num_classes()),
              FormatBytes(d.size_bytes()), FormatTimestamp(d.create_time())});
  }
  *ctx.out << t.Render();
  PrintNextPage(ctx, r.next_page_token());
  return absl::OkStatus();
}

absl::Status RunGetDataset(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a dataset id", &id));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Dataset d, ctx.client->GetDataset(id));
  if (PrintedAsJson(ctx, d)) return absl::OkStatus();
  *ctx.out << DescribeDataset(d) << ", labels "
           << FormatShape(d.label_shape()) << ", created "
           << FormatTimestamp(d.create_time()) << "\n";
  return absl::OkStatus();
}

absl::Status RunDeleteDataset(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a dataset id", &id));
  PROFUNDO_RETURN_IF_ERROR(ctx.client->DeleteDataset(id));
  if (PrintedAsJson(ctx, v1::DeleteDatasetResponse())) return absl::OkStatus();
  *ctx.out << "Deleted " << id << "\n";
  return absl::OkStatus();
}

}  // namespace profundo::cli
