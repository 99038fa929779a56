// SPDX-License-Identifier: MIT
//
// ropescale-inspect --svg FILE: a picture of what a scaling config does, as one SVG file with
// three panels:
//   1. the frequency multiplier of each pair against plain RoPE with the configured base
//      (inv_freq[i] / theta_i, log scale), one curve per layer type, the primary table's
//      extrapolated / blended / interpolated pairs shaded (formulas.hpp classify_pair);
//   2. each pair's wavelength 2 pi / inv_freq in tokens (log scale) against the original
//      context L and the target context, with plain RoPE's wavelengths dashed;
//   3. Position Interpolation's extrapolation quantity B(s)/d (interpolation_bound.hpp, Eq. 8)
//      over the distances [0, target context), sampled at most 512 times, for each layer
//      type and for plain RoPE with the same base and d.
// Every plotted number is in the file: each pair's point carries data-pair, data-inv-freq,
// data-multiplier, data-wavelength and data-region (shortest round-trip doubles, as --json
// prints them) and a <title> tooltip; each B(s)/d curve carries data-first, data-step and
// data-values, and its minimum and maximum with where they occur.
//
// A small writer of our own rather than cairo's SVG surface: cairo (libcairo2-dev) would be a
// new build dependency of the tool, and its SVG output draws text as glyph outlines and has
// no place for <title> elements or data attributes, which carry the plotted values for readers
// and for the test (tests/hf/inspect_svg.cmake). What is drawn here is rectangles, lines,
// polylines, circles and text: a few hundred lines of plain C++.
#ifndef ROPESCALE_EXAMPLES_INSPECT_SVG_PLOT_HPP
#define ROPESCALE_EXAMPLES_INSPECT_SVG_PLOT_HPP

#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace inspect_svg {

namespace rs = ropescale;

/// Text with the five XML special characters escaped (attribute values and text nodes).
inline std::string xml_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

/// A coordinate with one decimal (a tenth of a pixel).
inline std::string coord(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

/// A value as it is stored in the file: the shortest text that reads back as the same double.
inline std::string value(double v) { return rs::detail::format_value(v); }

/// A number for an axis label: up to 4 significant digits.
inline std::string label(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

/// A rectangle of the page in pixels and the data range mapped onto it (y may be log10).
struct panel {
    double left, top, width, height;
    double x_min, x_max, y_min, y_max;
    bool log_y;

    double x(double v) const { return left + (v - x_min) / (x_max - x_min) * width; }
    double y(double v) const {
        const double t = log_y ? std::log10(v) : v;
        return top + height - (t - y_min) / (y_max - y_min) * height;
    }
};

/// Ticks of a linear axis: multiples of 1, 2 or 5 times a power of ten, about `count` of them.
inline std::vector<double> linear_ticks(double lo, double hi, int count) {
    if (!(hi > lo)) return {lo};
    const double raw = (hi - lo) / count;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    double step = p;
    for (const double m : {2.0, 5.0, 10.0})
        if (step < raw) step = m * p;
    std::vector<double> out;
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push_back(v);
    return out;
}

/// The SVG document being written.
class svg_document {
  public:
    svg_document(double width, double height) {
        out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + coord(width) +
                "\" height=\"" + coord(height) + "\" viewBox=\"0 0 " + coord(width) + " " +
                coord(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
        out_ += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    }
    /// Appends raw markup (already escaped).
    void raw(const std::string& markup) { out_ += markup; }
    void text(double x, double y, const std::string& s, const std::string& extra = "") {
        out_ += "<text x=\"" + coord(x) + "\" y=\"" + coord(y) + "\"" + extra + ">" +
                xml_escape(s) + "</text>\n";
    }
    void line(double x1, double y1, double x2, double y2, const std::string& style) {
        out_ += "<line x1=\"" + coord(x1) + "\" y1=\"" + coord(y1) + "\" x2=\"" + coord(x2) +
                "\" y2=\"" + coord(y2) + "\" " + style + "/>\n";
    }
    void rect(double x, double y, double w, double h, const std::string& style,
              const std::string& title = "") {
        out_ += "<rect x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" width=\"" + coord(w) +
                "\" height=\"" + coord(h) + "\" " + style;
        if (title.empty())
            out_ += "/>\n";
        else
            out_ += "><title>" + xml_escape(title) + "</title></rect>\n";
    }
    /// The finished document.
    std::string finish() { return out_ + "</svg>\n"; }

  private:
    std::string out_;
};

/// Frame, grid and tick labels of a panel; log axes label their decades.
inline void draw_axes(svg_document& doc, const panel& p, const std::string& title,
                      const std::string& x_label, const std::string& y_label,
                      const std::vector<double>& x_ticks) {
    doc.text(p.left, p.top - 8, title, " font-size=\"14\" font-weight=\"bold\"");
    const std::string grid = "stroke=\"#dddddd\" stroke-width=\"1\"";
    for (const double t : x_ticks) {
        doc.line(p.x(t), p.top, p.x(t), p.top + p.height, grid);
        doc.text(p.x(t), p.top + p.height + 15, label(t), " text-anchor=\"middle\"");
    }
    if (p.log_y) {
        for (double e = std::ceil(p.y_min); e <= p.y_max + 1e-9; e += 1.0) {
            const double v = std::pow(10.0, e);
            doc.line(p.left, p.y(v), p.left + p.width, p.y(v), grid);
            doc.text(p.left - 6, p.y(v) + 4, label(v), " text-anchor=\"end\"");
        }
    } else {
        for (const double t : linear_ticks(p.y_min, p.y_max, 5)) {
            doc.line(p.left, p.y(t), p.left + p.width, p.y(t), grid);
            doc.text(p.left - 6, p.y(t) + 4, label(t), " text-anchor=\"end\"");
        }
    }
    doc.rect(p.left, p.top, p.width, p.height, "fill=\"none\" stroke=\"#444444\"");
    doc.text(p.left + p.width / 2, p.top + p.height + 32, x_label, " text-anchor=\"middle\"");
    doc.text(p.left - 52, p.top + p.height / 2, y_label,
             " text-anchor=\"middle\" transform=\"rotate(-90 " + coord(p.left - 52) + " " +
                 coord(p.top + p.height / 2) + ")\"");
}

/// Log10 range of positive values, widened to whole decades (at least one).
inline void decade_range(const std::vector<double>& values, double& lo, double& hi) {
    lo = 1e300;
    hi = -1e300;
    for (const double v : values)
        if (v > 0.0 && std::isfinite(v)) {
            lo = std::min(lo, std::log10(v));
            hi = std::max(hi, std::log10(v));
        }
    if (lo > hi) lo = hi = 0.0;
    lo = std::floor(lo + 1e-9);
    hi = std::ceil(hi - 1e-9);
    if (hi <= lo) hi = lo + 1.0;
}

inline const char* curve_color(std::size_t k) {
    static const char* const colors[] = {"#1f5fa8", "#c0392b", "#27853f", "#7d3c98", "#b9770e"};
    return colors[k % (sizeof colors / sizeof colors[0])];
}

inline const char* region_fill(rs::pair_region r) {
    switch (r) {
        case rs::pair_region::extrapolated: return "#d8f0d8";
        case rs::pair_region::blended: return "#fbeecb";
        case rs::pair_region::interpolated: return "#d6e4f5";
        case rs::pair_region::not_rotated: return "#e6e6e6";
    }
    return "#ffffff";
}

/// The distances of the B(s)/d panel: [0, target) with at most 512 samples.
struct distance_range {
    std::int64_t target = 4096;
    std::int64_t step = 1;
};

/// B(s)/d of a table over the panel's distances, as an SVG polyline with its values.
inline std::string b_curve(const panel& p, const rs::extrapolation_bound_result& e,
                           const std::string& name, const std::string& style,
                           const std::string& css_class) {
    std::string points, values;
    for (std::size_t k = 0; k < e.b_over_d.size(); ++k) {
        const double s = static_cast<double>(e.distance(k));
        points += (k ? " " : "") + coord(p.x(s)) + "," + coord(p.y(e.b_over_d[k]));
        values += (k ? " " : "") + value(e.b_over_d[k]);
    }
    const std::string summary = name + ": B(s)/d from " + value(e.min) +
                                " (s = " + std::to_string(e.argmin) + ") to " + value(e.max) +
                                " (s = " + std::to_string(e.argmax) + ")";
    return "<polyline class=\"" + css_class + "\" data-layer-type=\"" + xml_escape(name) +
           "\" data-first=\"" + std::to_string(e.first) + "\" data-step=\"" +
           std::to_string(e.step) + "\" data-min=\"" + value(e.min) + "\" data-argmin=\"" +
           std::to_string(e.argmin) + "\" data-max=\"" + value(e.max) + "\" data-argmax=\"" +
           std::to_string(e.argmax) + "\" data-values=\"" + values + "\" points=\"" + points +
           "\" fill=\"none\" " + style + "><title>" + xml_escape(summary) + "</title></polyline>\n";
}

/// The whole picture for the tables of `hf` (one per layer type, primary first) built with
/// `opt`; `name` heads it (the config file, shown without its folder). Errors: those of
/// extrapolation_bound.
inline rs::expected<std::string> render(const rs::model_rope_config& hf,
                                        const std::vector<rs::frequency_table>& tables,
                                        const rs::table_options& opt, const std::string& name) {
    const rs::frequency_table& primary = tables.front();
    const double width = 960, margin_left = 90, plot_width = 640, plot_height = 250;
    const double legend_x = margin_left + plot_width + 20;
    int max_pairs = 1;
    for (const auto& t : tables) max_pairs = std::max(max_pairs, t.pairs());
    // The original context: the layer's original_max_position_embeddings where the method
    // has one, else max_position_embeddings (what dynamic methods scale from).
    std::optional<std::int64_t> original = hf.layer_types.front().original_max_position_embeddings;
    if (!original) original = hf.max_position_embeddings;
    distance_range dr;
    if (opt.seq_len)
        dr.target = *opt.seq_len;
    else if (hf.max_position_embeddings)
        dr.target = *hf.max_position_embeddings;
    else if (original)
        dr.target = *original;
    dr.step = std::max<std::int64_t>(1, (dr.target + 511) / 512);

    svg_document doc(width, 130 + 3 * (plot_height + 90));
    // Heading.
    const std::string file = name.substr(name.find_last_of('/') + 1);
    std::string head = file + ": " + primary.method + ", scale " + value(primary.scale) +
                       ", base " + value(primary.base) + ", rotary_dim " +
                       std::to_string(primary.rotary_dim);
    doc.text(margin_left, 24, head, " font-size=\"16\" font-weight=\"bold\"");
    std::string sub = "original context L = " + (original ? std::to_string(*original) : "?") +
                      ", target context = " + std::to_string(dr.target) +
                      (opt.seq_len ? " (--seq-len)" : "") + "; attention factor " +
                      value(primary.attention_factor);
    doc.text(margin_left, 44, sub);

    // Legend: one color per layer type, the regions of the primary table.
    double ly = 130;
    for (std::size_t k = 0; k < tables.size(); ++k, ly += 18) {
        doc.line(legend_x, ly - 4, legend_x + 24, ly - 4,
                 std::string("stroke=\"") + curve_color(k) + "\" stroke-width=\"2\"");
        doc.text(legend_x + 30, ly, hf.layer_types[k].layer_type + (k == 0 ? " (primary)" : ""));
    }
    doc.line(legend_x, ly - 4, legend_x + 24, ly - 4,
             "stroke=\"#888888\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\"");
    doc.text(legend_x + 30, ly, "plain RoPE (same base, d)");
    ly += 26;
    doc.text(legend_x, ly, "pairs of the primary table:");
    for (const auto r : {rs::pair_region::extrapolated, rs::pair_region::blended,
                         rs::pair_region::interpolated, rs::pair_region::not_rotated}) {
        ly += 18;
        doc.rect(legend_x, ly - 11, 24, 13,
                 std::string("fill=\"") + region_fill(r) + "\" stroke=\"#999999\"");
        doc.text(legend_x + 30, ly, rs::to_string(r));
    }

    std::vector<double> pair_ticks = linear_ticks(0, max_pairs - 1, 8);
    // Panel 1: multipliers.
    std::vector<double> multipliers, wavelengths;
    for (const auto& t : tables)
        for (int i = 0; i < t.pairs(); ++i) {
            multipliers.push_back(t.multiplier(i));
            wavelengths.push_back(rs::wavelength(t.inv_freq[static_cast<std::size_t>(i)]));
            wavelengths.push_back(
                rs::wavelength(t.inv_freq[static_cast<std::size_t>(i)] / t.multiplier(i)));
        }
    panel p1{margin_left, 90, plot_width, plot_height, -0.5, max_pairs - 0.5, 0, 0, true};
    decade_range(multipliers, p1.y_min, p1.y_max);
    const double band = p1.width / max_pairs;
    for (int i = 0; i < primary.pairs(); ++i) {
        const auto r = rs::classify_pair(primary.multiplier(i), primary.scale);
        doc.rect(p1.x(i - 0.5), p1.top, band, p1.height,
                 std::string("class=\"region\" data-region=\"") + rs::to_string(r) + "\" fill=\"" +
                     region_fill(r) + "\" stroke=\"none\"",
                 "pair " + std::to_string(i) + ": " + rs::to_string(r));
    }
    draw_axes(doc, p1, "Frequency multiplier against plain RoPE (inv_freq / theta_i)", "pair i",
              "multiplier (log)", pair_ticks);
    const auto pair_curve = [&](const panel& p, std::size_t k, bool wavelength_panel) {
        const rs::frequency_table& t = tables[k];
        const std::string layer = xml_escape(hf.layer_types[k].layer_type);
        std::string points, dots;
        for (int i = 0; i < t.pairs(); ++i) {
            const double inv = t.inv_freq[static_cast<std::size_t>(i)];
            const double m = t.multiplier(i);
            const double w = rs::wavelength(inv);
            const double v = wavelength_panel ? w : m;
            if (!(v > 0.0) || !std::isfinite(v)) continue;  // not rotated: no point on a log axis
            const std::string xy = coord(p.x(i)) + "," + coord(p.y(v));
            points += (points.empty() ? "" : " ") + xy;
            const auto region = rs::to_string(rs::classify_pair(m, t.scale));
            dots += "<circle cx=\"" + coord(p.x(i)) + "\" cy=\"" + coord(p.y(v)) +
                    "\" r=\"2.5\" fill=\"" + curve_color(k) + "\"";
            if (!wavelength_panel)
                dots += " class=\"pair\" data-layer-type=\"" + layer + "\" data-pair=\"" +
                        std::to_string(i) + "\" data-inv-freq=\"" + value(inv) +
                        "\" data-multiplier=\"" + value(m) + "\" data-wavelength=\"" + value(w) +
                        "\" data-region=\"" + region + "\"";
            dots += "><title>" + layer + " pair " + std::to_string(i) + ": inv_freq " + value(inv) +
                    ", multiplier " + value(m) + ", wavelength " + value(w) + " tokens (" + region +
                    ")</title></circle>\n";
        }
        doc.raw("<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + curve_color(k) +
                "\" stroke-width=\"1.5\"/>\n" + dots);
    };
    for (std::size_t k = 0; k < tables.size(); ++k) pair_curve(p1, k, false);
    if (primary.scale > 0.0 && primary.scale != 1.0) {
        doc.line(p1.left, p1.y(1.0 / primary.scale), p1.left + p1.width, p1.y(1.0 / primary.scale),
                 "stroke=\"#555555\" stroke-dasharray=\"2,3\"");
        doc.text(p1.left + p1.width - 4, p1.y(1.0 / primary.scale) - 4,
                 "1/scale = " + label(1.0 / primary.scale),
                 " text-anchor=\"end\" fill=\"#555555\"");
    }

    // Panel 2: wavelengths against the contexts.
    if (original) wavelengths.push_back(static_cast<double>(*original));
    wavelengths.push_back(static_cast<double>(dr.target));
    panel p2{margin_left, p1.top + plot_height + 90, plot_width, plot_height,
             -0.5,        max_pairs - 0.5,           0,          0,
             true};
    decade_range(wavelengths, p2.y_min, p2.y_max);
    draw_axes(doc, p2, "Wavelength 2 pi / inv_freq against the context", "pair i", "tokens (log)",
              pair_ticks);
    {
        std::string plain;
        for (int i = 0; i < primary.pairs(); ++i) {
            const double w =
                rs::wavelength(rs::plain_inv_freq(primary.rope_theta, primary.rotary_dim, i));
            plain += (i ? " " : "") + coord(p2.x(i)) + "," + coord(p2.y(w));
        }
        doc.raw("<polyline points=\"" + plain +
                "\" fill=\"none\" stroke=\"#888888\" stroke-width=\"1.5\" "
                "stroke-dasharray=\"5,3\"><title>plain RoPE wavelengths</title></polyline>\n");
    }
    for (std::size_t k = 0; k < tables.size(); ++k) pair_curve(p2, k, true);
    const auto context_line = [&](double tokens, const std::string& what) {
        doc.line(p2.left, p2.y(tokens), p2.left + p2.width, p2.y(tokens),
                 "stroke=\"#000000\" stroke-dasharray=\"6,3\"");
        doc.text(p2.left + 4, p2.y(tokens) - 4,
                 what + " = " + std::to_string(static_cast<std::int64_t>(tokens)));
    };
    if (original) context_line(static_cast<double>(*original), "original context L");
    if (!original || dr.target != *original)
        context_line(static_cast<double>(dr.target), "target context");

    // Panel 3: B(s)/d.
    std::vector<rs::extrapolation_bound_result> curves;
    for (const auto& t : tables) {
        auto e = rs::extrapolation_bound(t, 0, dr.target, dr.step);
        if (!e) return e.err();
        curves.push_back(std::move(*e));
    }
    rs::frequency_table plain = primary;
    for (int i = 0; i < plain.pairs(); ++i)
        plain.inv_freq[static_cast<std::size_t>(i)] =
            rs::plain_inv_freq(primary.rope_theta, primary.rotary_dim, i);
    plain.base = plain.rope_theta;
    auto plain_curve = rs::extrapolation_bound(plain, 0, dr.target, dr.step);
    if (!plain_curve) return plain_curve.err();
    double b_max = plain_curve->max;
    for (const auto& e : curves) b_max = std::max(b_max, e.max);
    panel p3{margin_left, p2.top + plot_height + 90,      plot_width, plot_height,
             0,           static_cast<double>(dr.target), 0,          b_max * 1.05,
             false};
    draw_axes(doc, p3,
              "Position Interpolation's extrapolation quantity B(s)/d (Eq. 8), every " +
                  std::to_string(dr.step) + (dr.step == 1 ? " distance" : " distances"),
              "relative distance s (tokens)", "B(s)/d",
              linear_ticks(0, static_cast<double>(dr.target), 8));
    doc.raw(b_curve(p3, *plain_curve, "plain RoPE",
                    "stroke=\"#888888\" stroke-width=\"1\" stroke-dasharray=\"5,3\"",
                    "b-over-d-plain"));
    for (std::size_t k = 0; k < curves.size(); ++k)
        doc.raw(b_curve(p3, curves[k], hf.layer_types[k].layer_type,
                        std::string("stroke=\"") + curve_color(k) + "\" stroke-width=\"1\"",
                        "b-over-d"));
    if (original && *original < dr.target) {
        const double x = p3.x(static_cast<double>(*original));
        doc.line(x, p3.top, x, p3.top + p3.height, "stroke=\"#000000\" stroke-dasharray=\"6,3\"");
        doc.text(x + 4, p3.top + 14, "L");
    }
    // The numbers of the comparison the paper makes, under the panel.
    double ty = p3.top + p3.height + 52;
    if (const auto bound = rs::interpolation_bound(primary)) {
        doc.text(p3.left, ty,
                 "Theorem 2.1 (Eq. 7), plain RoPE with base c = " + label(bound->base) +
                     ": d/(32 ln c) = " + label(bound->paper_worst_case) +
                     " per unit max|h| (32 ln c = " + label(bound->paper_denominator) + ")");
        ty += 16;
        doc.text(p3.left, ty,
                 "this table's curvature bound sum_j theta_j^2 / 8 = " +
                     label(bound->table_worst_case) + " per unit max|h|");
        ty += 16;
    }
    doc.text(p3.left, ty,
             "min B(s)/d of " + hf.layer_types.front().layer_type + " = " + label(curves[0].min) +
                 " at s = " + std::to_string(curves[0].argmin) +
                 " (extrapolation bound: 2 max|h| B(s), Eq. 8)");
    return doc.finish();
}

/// Writes render(...) to `path`. Errors: render's, or errc::io_error on "--svg".
inline rs::status write_file(const std::string& path, const rs::model_rope_config& hf,
                             const std::vector<rs::frequency_table>& tables,
                             const rs::table_options& opt, const std::string& name) {
    const auto svg = render(hf, tables, opt, name);
    if (!svg) return svg.err();
    std::ofstream f(path, std::ios::binary);
    f << *svg;
    f.close();
    if (!f) return rs::error{rs::errc::io_error, "--svg", "cannot write \"" + path + "\""};
    return {};
}

}  // namespace inspect_svg

#endif  // ROPESCALE_EXAMPLES_INSPECT_SVG_PLOT_HPP
