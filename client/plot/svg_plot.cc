#include "client/plot/svg_plot.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace profundo::plot {
namespace {

constexpr double kMarginLeft = 62, kMarginRight = 14, kMarginTop = 30,
                 kMarginBottom = 44, kTitleHeight = 28;

bool Usable(double x, bool log_x) {
  return std::isfinite(x) && (!log_x || x > 0);
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A "nice" step (1, 2 or 5 x 10^k) giving about `target` ticks over span.
double NiceStep(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

std::string Num(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e5 || a < 1e-4) return absl::StrFormat("%.0e", v);
  return absl::StrFormat("%.4g", v);
}

// A light grid line from (x1, y1) to (x2, y2) with its label at (tx, ty).
void GridLine(double x1, double y1, double x2, double y2, double tx, double ty,
              const char* anchor, const std::string& label, std::string* svg) {
  absl::StrAppendFormat(svg,
                        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n<text x=\"%.1f\" "
                        "y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
                        x1, y1, x2, y2, tx, ty, anchor, Escape(label));
}

constexpr double kLegendWidth = 120, kLegendRow = 15;

struct LegendCorner {
  double left = 0, top = 0;
};

// Of the four corners of the plot box, the one where a legend box for
// `panel`'s series covers the fewest data points (top right on ties).
LegendCorner QuietestCorner(const Panel& panel, const Axes& a) {
  const double h = 6 + kLegendRow * static_cast<double>(panel.series.size());
  const double right = a.left + a.width - kLegendWidth;
  const double bottom = a.top + a.height - h;
  const LegendCorner corners[] = {
      {right, a.top}, {right, bottom}, {a.left + 8, a.top}, {a.left + 8, bottom}};
  LegendCorner best = corners[0];
  int best_count = -1;
  for (const LegendCorner& c : corners) {
    int count = 0;
    for (const Series& s : panel.series) {
      for (size_t i = 0; i + 1 < s.x.size() && i + 1 < s.y.size(); ++i) {
        // Samples along each segment, so a line crossing the box counts.
        for (double t = 0; t < 1; t += 0.1) {
          const double x0 = s.x[i] + t * (s.x[i + 1] - s.x[i]);
          const double y0 = s.y[i] + t * (s.y[i + 1] - s.y[i]);
          if (!Usable(x0, panel.log_x) || !std::isfinite(y0)) continue;
          const double px = a.PixelX(x0), py = a.PixelY(y0);
          count += px >= c.left && px <= c.left + kLegendWidth &&
                   py >= c.top && py <= c.top + h;
        }
      }
    }
    if (best_count < 0 || count < best_count) {
      best = c;
      best_count = count;
    }
  }
  return best;
}

int Rows(size_t panels, int columns) {
  return static_cast<int>((panels + columns - 1) / columns);
}

}  // namespace

double Axes::PixelX(double x) const {
  const double v = log_x ? std::log10(x) : x;
  return left + (v - x_min) / (x_max - x_min) * width;
}

double Axes::PixelY(double y) const {
  return top + (y_max - y) / (y_max - y_min) * height;
}

Axes PanelAxes(const Panel& panel, int index, const ChartOptions& o) {
  Axes a;
  const int columns = std::max(1, o.columns);
  const double ox = (index % columns) * o.panel_width;
  const double oy = kTitleHeight + (index / columns) * o.panel_height;
  a.left = ox + kMarginLeft;
  a.top = oy + kMarginTop;
  a.width = o.panel_width - kMarginLeft - kMarginRight;
  a.height = o.panel_height - kMarginTop - kMarginBottom;
  a.log_x = panel.log_x;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Series& s : panel.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!Usable(s.x[i], panel.log_x) || !std::isfinite(s.y[i])) continue;
      const double x = panel.log_x ? std::log10(s.x[i]) : s.x[i];
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  }
  if (panel.y_max && *panel.y_max > y0) y1 = std::min(y1, *panel.y_max);
  if (!(x0 <= x1)) x0 = 0, x1 = 1;
  if (!(y0 <= y1)) y0 = 0, y1 = 1;
  if (x1 - x0 < 1e-12 * std::max(1.0, std::fabs(x0))) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12 * std::max(1.0, std::fabs(y0))) {
    const double pad = std::max(std::fabs(y0) * 0.1, 1e-3);
    y0 -= pad, y1 += pad;
  }
  const double pad = 0.05 * (y1 - y0);
  const double x_pad = 0.03 * (x1 - x0);
  a.x_min = x0 - x_pad;
  a.x_max = x1 + x_pad;
  a.y_min = y0 - pad;
  a.y_max = y1 + pad;
  return a;
}

std::string Render(const std::vector<Panel>& panels, const ChartOptions& o) {
  const int columns = std::max(1, o.columns);
  const int cols_used =
      std::min<int>(columns, std::max<int>(1, static_cast<int>(panels.size())));
  const double width = cols_used * o.panel_width;
  const double height =
      kTitleHeight + std::max(1, Rows(panels.size(), columns)) * o.panel_height;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.1f\" y=\"19\" text-anchor=\"middle\" font-size=\"15\" "
      "font-weight=\"bold\">%s</text>\n",
      width, height, width, height, width / 2, Escape(o.title));
  for (size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    const Axes a = PanelAxes(panel, static_cast<int>(p), o);
    absl::StrAppendFormat(&svg, "<g class=\"panel\" data-title=\"%s\">\n",
                          Escape(panel.title));
    absl::StrAppendFormat(
        &svg,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\" "
        "font-weight=\"bold\">%s</text>\n",
        a.left + a.width / 2, a.top - 10, Escape(panel.title));
    // Grid and ticks: horizontal lines at nice y values, vertical ones at
    // nice x values (decades on a log axis).
    const double ys = NiceStep(a.y_max - a.y_min, 5);
    for (double y = std::ceil(a.y_min / ys) * ys; y <= a.y_max + 1e-9 * ys;
         y += ys) {
      const double py = a.PixelY(y);
      GridLine(a.left, py, a.left + a.width, py, a.left - 5, py + 4, "end",
               Num(std::fabs(y) < 1e-9 * ys ? 0 : y), &svg);
    }
    const bool log_x = panel.log_x;
    const double xs = log_x ? 1.0
                            : std::max(NiceStep(a.x_max - a.x_min, 6),
                                       panel.x_label == "epoch" ? 1.0 : 0.0);
    for (double x = std::ceil(a.x_min / xs - 1e-9) * xs;
         x <= a.x_max + 1e-9 * xs; x += xs) {
      const double px = a.left + (x - a.x_min) / (a.x_max - a.x_min) * a.width;
      GridLine(
          px, a.top, px, a.top + a.height, px, a.top + a.height + 15, "middle",
          log_x ? absl::StrCat("1e", static_cast<int>(std::lround(x))) : Num(x),
          &svg);
    }
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
        "fill=\"none\" stroke=\"#444\"/>\n",
        a.left, a.top, a.width, a.height);
    absl::StrAppendFormat(
        &svg, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
        a.left + a.width / 2, a.top + a.height + 32, Escape(panel.x_label));
    absl::StrAppendFormat(&svg,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                          "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                          a.left - 48, a.top + a.height / 2, a.left - 48,
                          a.top + a.height / 2, Escape(panel.y_label));
    // Series, clipped to the plot box.
    absl::StrAppendFormat(&svg,
                          "<clipPath id=\"plot%d\"><rect x=\"%.1f\" y=\"%.1f\" "
                          "width=\"%.1f\" height=\"%.1f\"/></clipPath>\n",
                          p, a.left, a.top, a.width, a.height);
    for (const Series& s : panel.series) {
      std::string points;
      int n = 0;
      for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
        if (!Usable(s.x[i], panel.log_x) || !std::isfinite(s.y[i])) continue;
        absl::StrAppendFormat(&points, "%s%.2f,%.2f", n ? " " : "",
                              a.PixelX(s.x[i]), a.PixelY(s.y[i]));
        ++n;
      }
      absl::StrAppendFormat(
          &svg,
          "<polyline data-series=\"%s\" clip-path=\"url(#plot%d)\" "
          "fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
          "points=\"%s\"/>\n",
          Escape(s.label), p, s.color,
          s.dashed ? " stroke-dasharray=\"6,4\"" : "", points);
      if (n > 0 && n <= 30) {
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
          if (!Usable(s.x[i], panel.log_x) || !std::isfinite(s.y[i])) continue;
          absl::StrAppendFormat(&svg,
                                "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" "
                                "fill=\"%s\"/>\n",
                                a.PixelX(s.x[i]), a.PixelY(s.y[i]), s.color);
        }
      }
    }
    for (const Marker& m : panel.markers) {
      if (!Usable(m.x, panel.log_x)) continue;
      const double px = a.PixelX(m.x);
      if (px < a.left || px > a.left + a.width) continue;
      absl::StrAppendFormat(
          &svg,
          "<line class=\"marker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
          "y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"3,3\"/>\n"
          "<text x=\"%.1f\" y=\"%.1f\" fill=\"#d62728\">%s</text>\n",
          px, a.top, px, a.top + a.height, px + 4, a.top + a.height - 8,
          Escape(m.label));
    }
    // Legend inside the plot, in the corner its lines cross least.
    const LegendCorner corner = QuietestCorner(panel, a);
    double ly = corner.top + 14;
    for (const Series& s : panel.series) {
      const double lx = corner.left;
      absl::StrAppendFormat(
          &svg,
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"%s\" stroke-width=\"2\"%s/>\n"
          "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
          lx, ly - 4, lx + 22, ly - 4, s.color,
          s.dashed ? " stroke-dasharray=\"6,4\"" : "", lx + 27, ly,
          Escape(s.label));
      ly += 15;
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

std::string LearningCurvesSvg(const std::vector<EpochPoint>& history,
                              const std::string& title) {
  Series loss{"train", {}, {}, "#1f77b4", false};
  Series val_loss{"validation", {}, {}, "#ff7f0e", true};
  Series acc{"train", {}, {}, "#1f77b4", false};
  Series val_acc{"validation", {}, {}, "#ff7f0e", true};
  Series lr{"learning rate", {}, {}, "#2ca02c", false};
  for (const EpochPoint& e : history) {
    const double x = e.epoch + 1;
    loss.x.push_back(x);
    loss.y.push_back(e.loss);
    acc.x.push_back(x);
    acc.y.push_back(e.accuracy);
    lr.x.push_back(x);
    lr.y.push_back(e.lr);
    if (e.val_loss) {
      val_loss.x.push_back(x);
      val_loss.y.push_back(*e.val_loss);
    }
    if (e.val_accuracy) {
      val_acc.x.push_back(x);
      val_acc.y.push_back(*e.val_accuracy);
    }
  }
  Panel lp{"loss", "epoch", "loss", false, {loss}, {}, {}};
  Panel ap{"accuracy", "epoch", "accuracy", false, {acc}, {}, {}};
  if (!val_loss.x.empty()) lp.series.push_back(val_loss);
  if (!val_acc.x.empty()) ap.series.push_back(val_acc);
  Panel rp{"learning rate", "epoch", "rate", false, {lr}, {}, {}};
  ChartOptions o;
  o.title = title;
  o.columns = 3;
  return Render({lp, ap, rp}, o);
}

std::string LrRangeSvg(const std::vector<double>& lr,
                       const std::vector<double>& loss,
                       const std::vector<double>& smoothed,
                       double suggested_max_rate, const std::string& title) {
  Panel p{"loss against the learning rate",
          "learning rate (log scale)",
          "loss",
          true,
          {},
          {},
          {}};
  // The exploding tail would flatten the interesting part: the axis stops
  // a little above the highest smoothed loss before its minimum.
  size_t best = 0;
  for (size_t i = 0; i < smoothed.size(); ++i) {
    if (std::isfinite(smoothed[i]) &&
        (!std::isfinite(smoothed[best]) || smoothed[i] < smoothed[best])) {
      best = i;
    }
  }
  for (size_t i = 0; i <= best && i < smoothed.size(); ++i) {
    if (std::isfinite(smoothed[i])) {
      p.y_max = std::max(p.y_max.value_or(smoothed[i]), smoothed[i]);
    }
  }
  if (p.y_max) *p.y_max *= 1.15;
  p.series.push_back({"loss", lr, loss, "#aec7e8", false});
  p.series.push_back({"smoothed", lr, smoothed, "#1f77b4", false});
  if (suggested_max_rate > 0) {
    p.markers.push_back(
        {suggested_max_rate,
         absl::StrFormat("suggested max_rate %.2g", suggested_max_rate)});
  }
  ChartOptions o;
  o.title = title;
  o.columns = 1;
  o.panel_width = 640;
  o.panel_height = 400;
  return Render({p}, o);
}

}  // namespace profundo::plot
