#include "client/cli/progress.h"

#include <sstream>

#include "gtest/gtest.h"

namespace profundo::cli {
namespace {

TEST(ProgressLineTest, FinishedEpochLikeKeras) {
  EXPECT_EQ(FormatProgressLine(1719, 1719, 12.3, true,
                               {{"loss", 0.4},
                                {"accuracy", 0.85},
                                {"val_loss", 0.38},
                                {"val_accuracy", 0.86}}),
            "1719/1719 [==============================] - 12s 7ms/step - "
            "loss: 0.4000 - accuracy: 0.8500 - val_loss: 0.3800 - "
            "val_accuracy: 0.8600");
}

TEST(ProgressLineTest, InProgressShowsEtaAndArrow) {
  EXPECT_EQ(FormatProgressLine(32, 1719, 0.2, false, {{"loss", 0.7}}),
            "  32/1719 [..............................] - ETA: 10s - "
            "loss: 0.7000");
  EXPECT_EQ(FormatProgressLine(860, 1719, 6.0, false,
                               {{"loss", 0.5}, {"accuracy", 0.8125}}),
            " 860/1719 [==============>...............] - ETA: 5s - "
            "loss: 0.5000 - accuracy: 0.8125");
}

TEST(ProgressLineTest, TinyValuesUseExponentAndUnknownTarget) {
  EXPECT_EQ(FormatProgressLine(3, 3, 0.0012, true, {{"loss", 0.0005}}),
            "3/3 [==============================] - 0s 400us/step - "
            "loss: 5.0000e-04");
  EXPECT_EQ(FormatProgressLine(0, 0, 61.0, true, {{"loss", 1.5}}),
            "- 61s - loss: 1.5000");
}

TEST(ProgressLineTest, EtaAndStepTimeFormats) {
  EXPECT_EQ(FormatEta(45.9), "45s");
  EXPECT_EQ(FormatEta(83), "1:23");
  EXPECT_EQ(FormatEta(3723), "1:02:03");
  EXPECT_EQ(FormatStepTime(2.2), " 2s/step");
  EXPECT_EQ(FormatStepTime(0.007), " 7ms/step");
  EXPECT_EQ(FormatStepTime(0.0004), " 400us/step");
}

v1::JobEvent At(double seconds) {
  v1::JobEvent e;
  e.mutable_time()->set_seconds(static_cast<int64_t>(seconds));
  e.mutable_time()->set_nanos(
      static_cast<int32_t>((seconds - static_cast<int64_t>(seconds)) * 1e9));
  return e;
}

v1::JobEvent Running(double t) {
  v1::JobEvent e = At(t);
  e.mutable_state_change()->set_state(v1::JOB_STATE_RUNNING);
  return e;
}

v1::JobEvent Batch(double t, int epoch, int64_t batch, double loss) {
  v1::JobEvent e = At(t);
  v1::BatchProgress* p = e.mutable_batch_progress();
  p->set_epoch(epoch);
  p->set_epochs(2);
  p->set_batch(batch);
  p->set_batches(3);
  p->set_loss(loss);
  p->set_accuracy(0.5);
  return e;
}

v1::JobEvent EpochEnd(double t, int epoch, double loss, bool val) {
  v1::JobEvent e = At(t);
  v1::EpochMetrics* m = e.mutable_epoch_end();
  m->set_epoch(epoch);
  m->set_loss(loss);
  m->set_accuracy(0.8);
  if (val) {
    m->set_val_loss(0.6);
    m->set_val_accuracy(0.75);
  }
  return e;
}

v1::JobEvent Succeeded(double t) {
  v1::JobEvent e = At(t);
  e.mutable_state_change()->set_state(v1::JOB_STATE_SUCCEEDED);
  return e;
}

TEST(EpochPrinterTest, PipePrintsOnlyEpochLines) {
  std::ostringstream out;
  EpochPrinter printer(&out, /*tty=*/false, /*show_accuracy=*/true, 2);
  for (const v1::JobEvent& e :
       {Running(100), Batch(101, 0, 1, 0.9), Batch(103, 0, 3, 0.5),
        EpochEnd(103.4, 0, 0.5, true), Batch(104.5, 1, 2, 0.45),
        EpochEnd(110.4, 1, 0.4, true), Succeeded(110.5)}) {
    printer.OnEvent(e);
  }
  EXPECT_EQ(out.str(),
            "Epoch 1/2\n"
            "3/3 [==============================] - 3s 1s/step - loss: 0.5000 "
            "- accuracy: 0.8000 - val_loss: 0.6000 - val_accuracy: 0.7500\n"
            "Epoch 2/2\n"
            "3/3 [==============================] - 7s 2s/step - loss: 0.4000 "
            "- accuracy: 0.8000 - val_loss: 0.6000 - val_accuracy: 0.7500\n");
}

TEST(EpochPrinterTest, TerminalRedrawsInPlace) {
  std::ostringstream out;
  EpochPrinter printer(&out, /*tty=*/true, /*show_accuracy=*/false, 2);
  for (const v1::JobEvent& e :
       {Running(100), Batch(172, 0, 1, 0.9), Batch(173, 0, 2, 0.7),
        EpochEnd(174.4, 0, 0.5, false)}) {
    printer.OnEvent(e);
  }
  // A shorter line is padded with spaces over the longer one before it.
  EXPECT_EQ(out.str(),
            "Epoch 1/2\n"
            "\r1/3 [=========>....................] - ETA: 2:24 - loss: 0.9000"
            "\r2/3 [===================>..........] - ETA: 36s - loss: 0.7000 "
            "\r3/3 [==============================] - 74s 25s/step - loss: 0.5000"
            "\n");
}

TEST(EpochPrinterTest, ServerSecondsLeaveOutTheJobsSetUp) {
  // RUNNING at 100, but the first epoch's steps began at ~171 (the data
  // loaded first): its times come from the events' `seconds`.
  std::ostringstream out;
  EpochPrinter printer(&out, /*tty=*/true, /*show_accuracy=*/false, 2);
  v1::JobEvent first = Batch(172, 0, 1, 0.9);
  first.mutable_batch_progress()->set_seconds(1.0);
  v1::JobEvent end = EpochEnd(174.4, 0, 0.5, false);
  end.mutable_epoch_end()->set_seconds(3.3);
  for (const v1::JobEvent& e : {Running(100), first, end}) printer.OnEvent(e);
  EXPECT_EQ(out.str(),
            "Epoch 1/2\n"
            "\r1/3 [=========>....................] - ETA: 2s - loss: 0.9000"
            "\r3/3 [==============================] - 3s 1s/step - loss: "
            "0.5000\n");
}

TEST(EpochPrinterTest, EpochWithoutBatchProgressAndFailedJob) {
  // A watch resumed after the batches: only the epoch end is known.
  std::ostringstream out;
  EpochPrinter printer(&out, /*tty=*/true, /*show_accuracy=*/true, 3);
  printer.OnEvent(Batch(50, 0, 1, 0.9));  // epochs=2 in the event wins
  v1::JobEvent failed = At(51);
  failed.mutable_state_change()->set_state(v1::JOB_STATE_FAILED);
  printer.OnEvent(failed);
  EXPECT_EQ(out.str(),
            "Epoch 1/2\n\r1/3 [=========>....................] - ETA: 0s - "
            "loss: 0.9000 - accuracy: 0.5000\n");

  std::ostringstream pipe;
  EpochPrinter resumed(&pipe, /*tty=*/false, /*show_accuracy=*/true, 3);
  resumed.OnEvent(EpochEnd(20, 1, 0.25, false));
  EXPECT_EQ(pipe.str(), "Epoch 2/3\n- 0s - loss: 0.2500 - accuracy: 0.8000\n");
}

}  // namespace
}  // namespace profundo::cli
