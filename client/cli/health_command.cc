// health JOB: the job's latest per-layer training health report (Job.health,
// every TrainConfig.health_every_steps steps) as a table, then the warnings
// seen at it with their explanations and remedies. --json prints the
// JobHealth message.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "engine/status_macros.h"

namespace profundo::cli {
namespace {

std::string Number(double v) { return absl::StrFormat("%.3g", v); }

std::string Percent(bool has, double fraction) {
  return has ? absl::StrFormat("%.0f%%", 100 * fraction) : "-";
}

}  // namespace

std::string HealthText(const v1::JobHealth& health) {
  const v1::HealthReport& r = health.latest();
  std::string text = absl::StrFormat(
      "Health at step %d (epoch %d, batch loss %.4f, lr %.4g)\n", r.step(),
      r.epoch() + 1, r.loss(), r.learning_rate());
  Table t({"LAYER", "TYPE", "ACTIVATION", "GRAD_NORM", "UPDATE/WEIGHT",
           "ACT_MEAN", "ACT_STD", "DEAD", "SATURATED"});
  for (size_t c = 3; c < 9; ++c) t.SetRightAligned(c);
  for (const v1::LayerHealth& l : r.layers()) {
    const bool k = l.has_kernel();
    t.AddRow({l.name(), l.type(), l.activation(), k ? Number(l.grad_norm()) : "-",
              k ? absl::StrFormat("%.2e", l.update_ratio()) : "-",
              Number(l.activation_mean()), Number(l.activation_std()),
              Percent(l.has_dead_fraction(), l.dead_fraction()),
              Percent(l.has_saturated_fraction(), l.saturated_fraction())});
  }
  text += t.Render();
  if (health.warnings_size() == 0) return text + "No warnings.\n";
  for (const v1::HealthWarning& w : health.warnings()) {
    absl::StrAppend(&text, "WARNING ", HealthIssueName(w.issue()),
                    w.layer().empty() ? "" : absl::StrCat(" (", w.layer(), ")"),
                    ": ", w.message(), "\n");
  }
  return text;
}

absl::Status RunHealth(const CommandContext& ctx) {
  std::string id;
  PROFUNDO_RETURN_IF_ERROR(OnlyArgument(ctx, "a job id", &id));
  PROFUNDO_ASSIGN_OR_RETURN(v1::Job job, ctx.client->GetJob(id));
  if (!job.health().has_latest()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job ", id, " has no health report",
        job.config().has_lr_range_test()
            ? " (an LR range test measures none)"
            : job.config().has_health_every_steps() &&
                      job.config().health_every_steps() == 0
                  ? " (config.health_every_steps is 0)"
                  : " yet"));
  }
  if (PrintedAsJson(ctx, job.health())) return absl::OkStatus();
  *ctx.out << HealthText(job.health());
  return absl::OkStatus();
}

}  // namespace profundo::cli
