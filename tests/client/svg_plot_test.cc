// SVG charts: parse the polylines back and check they map the data.
#include "client/plot/svg_plot.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "client/cli/commands.h"
#include "gtest/gtest.h"

namespace profundo::plot {
namespace {

using Points = std::vector<std::pair<double, double>>;

// The value of attribute `name` in the element starting at `pos`.
std::string Attribute(const std::string& svg, size_t pos,
                      const std::string& name) {
  const size_t end = svg.find('>', pos);
  const size_t a = svg.find(" " + name + "=\"", pos);
  if (a == std::string::npos || a > end) return "";
  const size_t v = a + name.size() + 3;
  return svg.substr(v, svg.find('"', v) - v);
}

// The points of the n-th polyline whose data-series is `label`. (No
// std::regex: GCC 12's regex trips -Wmaybe-uninitialized under ASan.)
Points PolylinePoints(const std::string& svg, const std::string& label,
                      int nth = 0) {
  const std::string key = "<polyline data-series=\"" + label + "\"";
  size_t pos = 0;
  for (int i = 0; (pos = svg.find(key, pos)) != std::string::npos; ++i, ++pos) {
    if (i != nth) continue;
    Points out;
    std::istringstream in(Attribute(svg, pos, "points"));
    std::string pair;
    while (in >> pair) {
      const size_t comma = pair.find(',');
      out.push_back({std::stod(pair.substr(0, comma)),
                     std::stod(pair.substr(comma + 1))});
    }
    return out;
  }
  ADD_FAILURE() << "no polyline " << label << " #" << nth;
  return {};
}

std::vector<EpochPoint> History() {
  std::vector<EpochPoint> h;
  for (int e = 0; e < 5; ++e) {
    EpochPoint p;
    p.epoch = e;
    p.loss = 1.0 / (e + 1);
    p.accuracy = 0.6 + 0.05 * e;
    p.val_loss = 1.2 / (e + 1) + 0.05;
    p.val_accuracy = 0.55 + 0.05 * e;
    p.lr = 0.01 * std::pow(0.5, e);
    h.push_back(p);
  }
  return h;
}

TEST(SvgPlotTest, LearningCurvesMapTheData) {
  const auto h = History();
  const std::string svg = LearningCurvesSvg(h, "job <1>");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("job &lt;1&gt;"), std::string::npos);
  // Panels in order: loss (train, validation), accuracy (train, validation),
  // learning rate.
  std::vector<Panel> panels(3);
  panels[0].series = {{"train", {}, {}}, {"validation", {}, {}}};
  panels[1].series = panels[0].series;
  panels[2].series = {{"learning rate", {}, {}}};
  for (const EpochPoint& e : h) {
    panels[0].series[0].x.push_back(e.epoch + 1);
    panels[0].series[0].y.push_back(e.loss);
    panels[0].series[1].x.push_back(e.epoch + 1);
    panels[0].series[1].y.push_back(*e.val_loss);
    panels[1].series[0].x.push_back(e.epoch + 1);
    panels[1].series[0].y.push_back(e.accuracy);
    panels[1].series[1].x.push_back(e.epoch + 1);
    panels[1].series[1].y.push_back(*e.val_accuracy);
    panels[2].series[0].x.push_back(e.epoch + 1);
    panels[2].series[0].y.push_back(e.lr);
  }
  ChartOptions o;
  o.columns = 3;
  const char* labels[] = {"train", "validation"};
  for (int p = 0; p < 3; ++p) {
    const Axes a = PanelAxes(panels[p], p, o);
    for (size_t s = 0; s < panels[p].series.size(); ++s) {
      const std::string label = p == 2 ? "learning rate" : labels[s];
      const Points pts = PolylinePoints(svg, label, p == 2 ? 0 : p);
      const Series& series = panels[p].series[s];
      ASSERT_EQ(pts.size(), series.x.size()) << p << " " << label;
      for (size_t i = 0; i < pts.size(); ++i) {
        EXPECT_NEAR(pts[i].first, a.PixelX(series.x[i]), 0.01);
        EXPECT_NEAR(pts[i].second, a.PixelY(series.y[i]), 0.01);
        // Inside the plot box.
        EXPECT_GE(pts[i].first, a.left - 0.01);
        EXPECT_LE(pts[i].first, a.left + a.width + 0.01);
        EXPECT_GE(pts[i].second, a.top - 0.01);
        EXPECT_LE(pts[i].second, a.top + a.height + 0.01);
      }
      // First and last epochs near the box's edges (3% padding).
      EXPECT_NEAR(pts.front().first, a.left + a.width * 0.03 / 1.06, 0.01);
      EXPECT_NEAR(pts.back().first, a.left + a.width * 1.03 / 1.06, 0.01);
    }
  }
  const Points loss = PolylinePoints(svg, "train", 0);
  for (size_t i = 1; i < loss.size(); ++i) {
    EXPECT_GT(loss[i].second, loss[i - 1].second);  // falling loss: y grows
  }
  const Points acc = PolylinePoints(svg, "train", 1);
  for (size_t i = 1; i < acc.size(); ++i) {
    EXPECT_LT(acc[i].second, acc[i - 1].second);
  }
  // Panels side by side.
  EXPECT_GT(acc.front().first, loss.back().first);
}

TEST(SvgPlotTest, LrRangeUsesALogAxisAndMarksTheSuggestion) {
  std::vector<double> lr, loss, smoothed;
  for (int i = 0; i < 41; ++i) {
    lr.push_back(std::pow(10.0, -5 + 0.15 * i));  // 1e-5 .. 1e1
    const double v = 2.3 - 0.3 * i / 10.0 + (i > 30 ? (i - 30) * 2.0 : 0.0);
    loss.push_back(v);
    smoothed.push_back(v);
  }
  loss[5] = NAN;  // skipped
  const std::string svg = LrRangeSvg(lr, loss, smoothed, 0.01, "range");
  const Points pts = PolylinePoints(svg, "smoothed");
  ASSERT_EQ(pts.size(), 41u);
  EXPECT_EQ(PolylinePoints(svg, "loss").size(), 40u);
  // Equal steps in log10(lr) are equal steps in pixels.
  const double dx = pts[1].first - pts[0].first;
  EXPECT_GT(dx, 0);
  for (size_t i = 1; i < pts.size(); ++i) {
    EXPECT_NEAR(pts[i].first - pts[i - 1].first, dx, 0.02);
  }
  // Decades are labelled.
  for (const char* t : {">1e-5<", ">1e-3<", ">1e0<", ">1e1<"}) {
    EXPECT_NE(svg.find(t), std::string::npos) << t;
  }
  // The marker sits at log10(0.01) = -2, 3/6 of the way across.
  const size_t marker = svg.find("<line class=\"marker\"");
  ASSERT_NE(marker, std::string::npos);
  const double mx = std::stod(Attribute(svg, marker, "x1"));
  EXPECT_NEAR((mx - pts.front().first) / (pts.back().first - pts.front().first),
              0.5, 1e-3);
  EXPECT_NE(svg.find("max_rate 0.01"), std::string::npos);
}

TEST(SvgPlotTest, EmptyAndFlatDataStillRender) {
  const std::string empty = LearningCurvesSvg({}, "nothing yet");
  EXPECT_NE(empty.find("</svg>"), std::string::npos);
  EXPECT_EQ(empty.find("nan"), std::string::npos);
  std::vector<EpochPoint> one(1);
  one[0].loss = 0.5;
  one[0].lr = 0.01;
  const std::string svg = LearningCurvesSvg(one, "one epoch");
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_EQ(PolylinePoints(svg, "train").size(), 1u);
}

TEST(SvgPlotTest, JobHistoryBecomesLearningCurves) {
  v1::Job job;
  job.set_id("job-7");
  for (int e = 0; e < 3; ++e) {
    v1::EpochMetrics* m = job.add_history();
    m->set_epoch(e);
    m->set_loss(1.0 - 0.2 * e);
    m->set_accuracy(0.5 + 0.1 * e);
    if (e > 0) m->set_val_loss(1.1 - 0.2 * e);  // validation from epoch 2 only
    m->set_lr(0.01);
  }
  const std::string svg = cli::JobCurvesSvg(job);
  EXPECT_NE(svg.find("job job-7 (3 epochs)"), std::string::npos);
  EXPECT_EQ(PolylinePoints(svg, "train", 0).size(), 3u);
  EXPECT_EQ(PolylinePoints(svg, "validation", 0).size(), 2u);
  EXPECT_EQ(PolylinePoints(svg, "learning rate").size(), 3u);
  // No validation accuracy: the accuracy panel has only the train line.
  EXPECT_EQ(svg.find("data-series=\"validation\"",
                     svg.find("data-title=\"accuracy\"")),
            std::string::npos);
}

// The y of the n-th "<text ...>label</text>".
double TextY(const std::string& svg, const std::string& label, int nth) {
  size_t end = 0;
  for (int i = 0; i <= nth; ++i) {
    end = svg.find(">" + label + "</text>", end + 1);
    if (end == std::string::npos) return -1;
  }
  return std::stod(Attribute(svg, svg.rfind("<text", end), "y"));
}

TEST(SvgPlotTest, LegendGoesWhereTheLinesAreNot) {
  // Loss falls from the top left: the legend stays top right. Accuracy
  // rises to the top right: its legend moves to the bottom right. The plot
  // boxes span y 58..284 (title 28, margin 30, height 300 - 30 - 44).
  const std::string svg = LearningCurvesSvg(History(), "t");
  const double middle = (58 + 284) / 2.0;
  EXPECT_LT(TextY(svg, "train", 0), middle);
  EXPECT_GT(TextY(svg, "train", 1), middle);
  EXPECT_GT(TextY(svg, "validation", 1), TextY(svg, "train", 1));
}

}  // namespace
}  // namespace profundo::plot
