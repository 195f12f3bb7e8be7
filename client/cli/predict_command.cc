// The predict command: rows of an IDX / .npy / CSV file -> top class and
// probability per row (MC dropout: mean and std).
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/flags.h"
#include "client/cli/input_file.h"
#include "client/cli/output.h"
#include "client/float_tensor.h"
#include "client/json.h"
#include "engine/status_macros.h"

namespace profundo::cli {
namespace {

// Fashion-MNIST's classes, in label order.
const char* const kFashionClasses[] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string ClassName(int64_t k, int64_t classes, bool fashion) {
  if (fashion && classes == 10 && k >= 0 && k < 10) return kFashionClasses[k];
  return absl::StrCat(k);
}

}  // namespace

absl::Status RunPredict(const CommandContext& ctx) {
  std::string model_id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a model id", &model_id));
  const std::string class_names = absl::GetFlag(FLAGS_class_names);
  if (!class_names.empty() && class_names != "fashion") {
    return UsageError(
        absl::StrCat("--class_names: '", class_names, "' is not 'fashion'"));
  }
  const std::string input = absl::GetFlag(FLAGS_input);
  if (input.empty()) return UsageError("predict needs --input");
  InputSelection sel;
  sel.first = absl::GetFlag(FLAGS_index);
  sel.count = absl::GetFlag(FLAGS_count);
  sel.csv_header = absl::GetFlag(FLAGS_csv_header);
  sel.csv_drop_column = absl::GetFlag(FLAGS_label_column);
  PROFUNDO_ASSIGN_OR_RETURN(InputRows rows, ReadInputRows(input, sel));
  std::vector<float> truth;
  if (!absl::GetFlag(FLAGS_labels).empty()) {
    InputSelection label_sel = sel;
    label_sel.csv_drop_column.clear();
    PROFUNDO_ASSIGN_OR_RETURN(InputRows labels,
                              ReadInputRows(absl::GetFlag(FLAGS_labels), label_sel));
    if (labels.rows != rows.rows || labels.features() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--labels: ", labels.rows, " rows of ", labels.features(),
          " values; expected ", rows.rows, " rows of 1"));
    }
    truth = std::move(labels.values);
  }

  const int32_t mc = absl::GetFlag(FLAGS_mc_samples);
  PROFUNDO_ASSIGN_OR_RETURN(
      v1::PredictResponse r,
      ctx.client->Predict(model_id, rows.values, rows.features(), mc,
                          absl::GetFlag(FLAGS_version)));
  if (ctx.json) {
    v1::PredictResponse readable = r;
    *readable.mutable_probabilities() = ToValuesForm(r.probabilities());
    if (r.has_std()) *readable.mutable_std() = ToValuesForm(r.std());
    *ctx.out << MessageToJson(readable);
    return absl::OkStatus();
  }

  PROFUNDO_ASSIGN_OR_RETURN(std::vector<float> probs,
                            UnpackFloatTensor(r.probabilities()));
  std::vector<float> stds;
  if (r.has_std()) {
    PROFUNDO_ASSIGN_OR_RETURN(stds, UnpackFloatTensor(r.std()));
  }
  const int64_t classes =
      r.probabilities().shape_size() == 2 ? r.probabilities().shape(1) : 0;
  if (r.top_class_size() != rows.rows || classes <= 0 ||
      static_cast<int64_t>(probs.size()) != rows.rows * classes) {
    return absl::InternalError(absl::StrCat(
        "predict: the server answered ", r.top_class_size(), " rows for ",
        rows.rows));
  }
  const bool fashion = class_names == "fashion";
  std::vector<std::string> headers = {"ROW", "CLASS"};
  if (mc > 0) {
    headers.insert(headers.end(), {"MEAN", "STD"});
  } else {
    headers.push_back("PROBABILITY");
  }
  if (!truth.empty()) headers.push_back("LABEL");
  Table t(headers);
  for (size_t c = 0; c < headers.size(); ++c) {
    if (headers[c] != "CLASS" && headers[c] != "LABEL") t.SetRightAligned(c);
  }
  int64_t correct = 0;
  for (int64_t i = 0; i < rows.rows; ++i) {
    const int64_t k = r.top_class(static_cast<int>(i));
    std::vector<std::string> row = {
        absl::StrCat(sel.first + i), ClassName(k, classes, fashion),
        absl::StrFormat("%.4f", probs[static_cast<size_t>(i * classes + k)])};
    if (mc > 0) {
      row.push_back(stds.empty()
                        ? "-"
                        : absl::StrFormat(
                              "%.4f", stds[static_cast<size_t>(i * classes + k)]));
    }
    if (!truth.empty()) {
      const auto label = static_cast<int64_t>(truth[static_cast<size_t>(i)]);
      correct += label == k;
      row.push_back(ClassName(label, classes, fashion));
    }
    t.AddRow(row);
  }
  *ctx.out << "Model " << r.model_id() << " version " << r.version();
  if (mc > 0) *ctx.out << ", MC dropout over " << mc << " samples";
  *ctx.out << "\n" << t.Render();
  if (!truth.empty()) {
    *ctx.out << absl::StrFormat("accuracy: %.4f (%d/%d)\n",
                                static_cast<double>(correct) / rows.rows,
                                correct, rows.rows);
  }
  return absl::OkStatus();
}

}  // namespace profundo::cli
