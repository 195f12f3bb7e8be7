#include "client/cli/progress.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/output.h"

namespace profundo::cli {
namespace {

constexpr int kBarWidth = 30;

double Seconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + 1e-9 * t.nanos();
}

std::string Bar(int64_t current, int64_t target) {
  const int digits = static_cast<int>(std::log10(static_cast<double>(target))) + 1;
  std::string bar = absl::StrFormat("%*d/%d [", digits, current, target);
  const int width = static_cast<int>(
      kBarWidth * static_cast<double>(current) / static_cast<double>(target));
  const int filled = std::clamp(width, 0, kBarWidth);
  if (filled > 0) {
    bar += std::string(filled - 1, '=');
    bar += current < target ? '>' : '=';
  }
  bar += std::string(kBarWidth - filled, '.');
  return bar + "]";
}

}  // namespace

std::string FormatEta(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, seconds));
  if (s > 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
  }
  if (s > 60) return absl::StrFormat("%d:%02d", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

std::string FormatStepTime(double per_step) {
  if (per_step >= 1 || per_step == 0) return absl::StrFormat(" %.0fs/step", per_step);
  if (per_step >= 1e-3) return absl::StrFormat(" %.0fms/step", per_step * 1e3);
  return absl::StrFormat(" %.0fus/step", per_step * 1e6);
}

std::string FormatProgressLine(int64_t current, int64_t target,
                               double elapsed_seconds, bool finished,
                               const MetricValues& metrics) {
  std::string line;
  if (target > 0) {
    line = Bar(current, target);
    const double per_step =
        current > 0 ? elapsed_seconds / static_cast<double>(current) : 0.0;
    if (finished) {
      absl::StrAppendFormat(&line, " - %.0fs", elapsed_seconds);
      line += FormatStepTime(per_step);
    } else {
      line += " - ETA: " +
              FormatEta(per_step * static_cast<double>(target - current));
    }
  } else {
    line = absl::StrFormat("- %.0fs", elapsed_seconds);
  }
  for (const auto& [name, value] : metrics) {
    if (std::abs(value) > 1e-3) {
      absl::StrAppendFormat(&line, " - %s: %.4f", name, value);
    } else {
      absl::StrAppendFormat(&line, " - %s: %.4e", name, value);
    }
  }
  return line;
}

EpochPrinter::EpochPrinter(std::ostream* out, bool tty, bool show_accuracy,
                           int epochs)
    : out_(out), tty_(tty), show_accuracy_(show_accuracy), epochs_(epochs) {}

void EpochPrinter::StartEpoch(int epoch, int epochs, double now) {
  if (epoch == current_epoch_) return;
  if (open_width_ > 0) {  // an epoch that never reported its end
    *out_ << "\n";
    open_width_ = 0;
  }
  current_epoch_ = epoch;
  batches_ = 0;
  epoch_start_ = boundary_.value_or(now);
  if (epochs > 0) epochs_ = epochs;
  *out_ << "Epoch " << epoch + 1 << "/" << epochs_ << "\n";
}

double EpochPrinter::Elapsed(double server_seconds, double now) const {
  return server_seconds > 0 ? server_seconds : now - epoch_start_;
}

void EpochPrinter::CloseLine() {
  if (open_width_ == 0) return;
  *out_ << "\n";
  open_width_ = 0;
  out_->flush();
}

void EpochPrinter::WriteLine(const std::string& line, bool finished) {
  if (tty_) {
    *out_ << "\r" << line;
    if (open_width_ > line.size()) {
      *out_ << std::string(open_width_ - line.size(), ' ');
    }
    open_width_ = finished ? 0 : line.size();
  } else if (finished) {
    *out_ << line;
  }
  if (finished) *out_ << "\n";
  out_->flush();
}

void EpochPrinter::OnEvent(const v1::JobEvent& event) {
  const double now = Seconds(event.time());
  if (event.has_batch_progress()) {
    const v1::BatchProgress& p = event.batch_progress();
    StartEpoch(p.epoch(), p.epochs(), now);
    batches_ = p.batches();
    if (!tty_) return;
    MetricValues metrics = {{"loss", p.loss()}};
    if (show_accuracy_) metrics.emplace_back("accuracy", p.accuracy());
    WriteLine(FormatProgressLine(p.batch(), p.batches(),
                                 Elapsed(p.seconds(), now), false, metrics),
              false);
  } else if (event.has_epoch_end()) {
    const v1::EpochMetrics& m = event.epoch_end();
    StartEpoch(m.epoch(), 0, now);
    MetricValues metrics = {{"loss", m.loss()}};
    if (show_accuracy_) metrics.emplace_back("accuracy", m.accuracy());
    if (m.has_val_loss()) metrics.emplace_back("val_loss", m.val_loss());
    if (m.has_val_accuracy() && show_accuracy_) {
      metrics.emplace_back("val_accuracy", m.val_accuracy());
    }
    WriteLine(FormatProgressLine(batches_, batches_,
                                 Elapsed(m.seconds(), now), true, metrics),
              true);
    boundary_ = now;
  } else if (event.has_warning()) {
    const v1::HealthWarning& w = event.warning();
    CloseLine();
    if (w.resolved()) {
      *out_ << "Resolved at step " << w.step() << ": "
            << HealthIssueName(w.issue()) << " (" << w.layer() << ")\n";
    } else {
      *out_ << "WARNING at step " << w.step() << ": " << w.message() << "\n";
    }
    out_->flush();
  } else if (event.has_lr_range_point()) {
    const v1::LrRangePoint& p = event.lr_range_point();
    if (!tty_) return;
    WriteLine(FormatProgressLine(p.step(), p.steps(),
                                 now - boundary_.value_or(now), false,
                                 {{"lr", p.learning_rate()},
                                  {"loss", p.loss()},
                                  {"smoothed_loss", p.smoothed_loss()}}),
              false);
  } else if (event.has_state_change()) {
    if (event.state_change().state() == v1::JOB_STATE_RUNNING) boundary_ = now;
    CloseLine();
  }
}

}  // namespace profundo::cli
