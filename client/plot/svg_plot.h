// SvgPlot: line charts as standalone SVG, for learning curves and the
// learning-rate range test. No dependencies beyond Abseil strings, so the
// CLI (which must not link the engine) and engine tools can both draw.
//
// A chart is a grid of panels; each panel has its own axes (linear, or log10
// on x), "nice" tick labels, a title, a legend and one polyline per series.
// Each polyline carries data-series="<label>" so tests can find it. Pure
// functions; thread-safe.
//
// Example:
//   std::vector<EpochPoint> h = ...;  // from a job's history
//   WriteFile("curves.svg", LearningCurvesSvg(h, "job-1"));
#ifndef PROFUNDO_CLIENT_PLOT_SVG_PLOT_H_
#define PROFUNDO_CLIENT_PLOT_SVG_PLOT_H_

#include <optional>
#include <string>
#include <vector>

namespace profundo::plot {

struct Series {
  std::string label;
  std::vector<double> x;
  std::vector<double> y;  // same length as x; non-finite points are skipped
  std::string color = "#1f77b4";
  bool dashed = false;
};

// A vertical marker line at x (e.g. the suggested learning rate).
struct Marker {
  double x = 0;
  std::string label;
};

struct Panel {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;  // x must be > 0; others are skipped
  std::vector<Series> series;
  // Upper end of the y axis when the data goes higher (lines are clipped).
  std::optional<double> y_max;
  std::vector<Marker> markers;
};

struct ChartOptions {
  std::string title;
  int columns = 2;
  int panel_width = 420;
  int panel_height = 300;
};

// The data -> pixel mapping of one panel (exposed for tests): a point
// (x, y) lands at (left + (X(x) - x_min) / (x_max - x_min) * width,
// top + (y_max - y) / (y_max - y_min) * height), X = log10 on a log axis.
struct Axes {
  double left = 0, top = 0, width = 0, height = 0;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  bool log_x = false;
  double PixelX(double x) const;
  double PixelY(double y) const;
};

// Computes a panel's axes from its data as Render lays it out (panel index
// `index` in the grid).
Axes PanelAxes(const Panel& panel, int index, const ChartOptions& options);

std::string Render(const std::vector<Panel>& panels,
                   const ChartOptions& options);

// One epoch of a training history (Keras's logs).
struct EpochPoint {
  int epoch = 0;  // from 0; plotted from 1
  double loss = 0;
  double accuracy = 0;
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;
  double lr = 0;
};

// Three panels: loss (train, validation), accuracy (train, validation),
// learning rate.
std::string LearningCurvesSvg(const std::vector<EpochPoint>& history,
                              const std::string& title);

// The LR range test: loss and smoothed loss against the rate (log x), with
// the suggested maximum rate marked when > 0.
std::string LrRangeSvg(const std::vector<double>& lr,
                       const std::vector<double>& loss,
                       const std::vector<double>& smoothed,
                       double suggested_max_rate, const std::string& title);

}  // namespace profundo::plot

#endif  // PROFUNDO_CLIENT_PLOT_SVG_PLOT_H_
