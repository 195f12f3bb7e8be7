// Keras-style training progress for `profundo submit --watch` and
// `profundo watch`: "Epoch 1/2" headers, then a progress bar per epoch, as
// tf.keras's Progbar prints it with verbose=1:
//
//   Epoch 1/2
//   1719/1719 [==============================] - 12s 7ms/step - loss: 0.4000 - accuracy: 0.8500 - val_loss: 0.3800 - val_accuracy: 0.8600
//
// On a terminal the bar is redrawn in place with '\r' as batch progress
// arrives ("ETA: 1:23" while running); otherwise only the epoch headers and
// final lines are printed. Health warnings print as "WARNING at step N:
// <message>" (and "Resolved at step N: <issue> (<layer>)") when they
// appear; an LR range test's points redraw one bar (terminal only). Durations come from the events' server
// timestamps, so replaying a finished job's events prints its real times.
//
// EpochPrinter is not thread-safe (one watch stream feeds it); it does not
// own the stream it writes to, which must outlive it.
//
// Example:
//   EpochPrinter printer(&std::cout, isatty(1), /*show_accuracy=*/true,
//                        job.epochs());
//   client.WatchJob(job.id(), 0, [&](const v1::JobEvent& e) {
//     printer.OnEvent(e);
//     return true;
//   });
#ifndef PROFUNDO_CLIENT_CLI_PROGRESS_H_
#define PROFUNDO_CLIENT_CLI_PROGRESS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/timestamp.pb.h"
#include "profundo/v1/service.pb.h"

namespace profundo::cli {

using MetricValues = std::vector<std::pair<std::string, double>>;

// One Progbar line without the leading '\r' or trailing padding:
// "  32/1719 [>.............................] - ETA: 1:23 - loss: 0.7000"
// while current < target, or with finished = true
// "1719/1719 [==============================] - 12s 7ms/step - loss: ...".
// Values print as %.4f, or %.4e when |v| <= 1e-3 (as Keras does).
// target <= 0 (unknown batch count) prints "- 12s - loss: ..." alone.
std::string FormatProgressLine(int64_t current, int64_t target,
                               double elapsed_seconds, bool finished,
                               const MetricValues& metrics);

// Keras's ETA: "45s", "1:23", "1:02:03".
std::string FormatEta(double seconds);
// Keras's per-step time: " 7ms/step", " 2s/step", " 350us/step".
std::string FormatStepTime(double seconds_per_step);

class EpochPrinter {
 public:
  // `epochs`: the job's planned epochs (for "Epoch n/E" when no batch
  // progress arrived); `show_accuracy`: the spec asked for "accuracy".
  EpochPrinter(std::ostream* out, bool tty, bool show_accuracy, int epochs);
  EpochPrinter(const EpochPrinter&) = delete;
  EpochPrinter& operator=(const EpochPrinter&) = delete;

  void OnEvent(const v1::JobEvent& event);

 private:
  void StartEpoch(int epoch, int epochs, double now);
  // The epoch's time so far: the server's own count (the event's
  // `seconds`, which leaves out loading the data before the first epoch),
  // else the time since the epoch's boundary event.
  double Elapsed(double server_seconds, double now) const;
  void WriteLine(const std::string& line, bool finished);
  // Ends an unfinished tty line.
  void CloseLine();

  std::ostream* out_;
  bool tty_;
  bool show_accuracy_;
  int epochs_;
  int current_epoch_ = -1;         // epoch whose header was printed
  int64_t batches_ = 0;            // of the current epoch, from progress
  std::optional<double> boundary_; // time of the last RUNNING / epoch end
  double epoch_start_ = 0;         // seconds since the epoch
  size_t open_width_ = 0;          // width of an unfinished tty line
};

}  // namespace profundo::cli

#endif  // PROFUNDO_CLIENT_CLI_PROGRESS_H_
