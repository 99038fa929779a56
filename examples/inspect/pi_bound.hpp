// SPDX-License-Identifier: MIT
//
// ropescale-inspect CONFIG.json --pi-bound [--seq-len N] [--json]: Position Interpolation's
// bound analysis (interpolation_bound.hpp; Chen et al. 2023, Theorem 2.1, Eq. 5-8) of each
// layer type's table: the interpolation bound's coefficients per unit max|h| and B(s)/d over
// the integer distances [0, N), N = --seq-len, else max_position_embeddings, else 4096 (the
// paper's range), every distance up to 2^20 of them and evenly spaced beyond.
#ifndef ROPESCALE_EXAMPLES_INSPECT_PI_BOUND_HPP
#define ROPESCALE_EXAMPLES_INSPECT_PI_BOUND_HPP

#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace inspect_pi_bound {

namespace rs = ropescale;

/// Prints the report (text, or one JSON object with --json) for every layer type. Errors:
/// those of interpolation_bound and extrapolation_bound, the field prefixed with the layer
/// type for a table other than the primary.
inline rs::status print(const rs::model_rope_config& hf,
                        const std::vector<rs::frequency_table>& tables,
                        const rs::table_options& opt, bool json) {
    std::int64_t range = 4096;
    if (opt.seq_len)
        range = *opt.seq_len;
    else if (hf.max_position_embeddings)
        range = *hf.max_position_embeddings;
    const std::int64_t max_points = std::int64_t{1} << 20;
    const std::int64_t step = (range + max_points - 1) / max_points;
    nlohmann::json out = nlohmann::json::object();
    out["first"] = 0;
    out["last"] = range;
    out["step"] = step;
    nlohmann::json per_layer = nlohmann::json::object();
    if (!json)
        std::printf(
            "Position Interpolation's bounds (Chen et al. 2023, Theorem 2.1, Eq. 5-8), per unit "
            "max|h|;\nB(s)/d over s in [0, %lld)%s:\n",
            static_cast<long long>(range),
            step > 1 ? (", every " + std::to_string(step) + "th distance").c_str() : "");
    for (std::size_t k = 0; k < tables.size(); ++k) {
        const std::string& layer = hf.layer_types[k].layer_type;
        const auto prefixed = [&](rs::error e) {
            if (k != 0) e.field = layer + "." + e.field;
            return e;
        };
        const auto b = rs::interpolation_bound(tables[k]);
        if (!b) return prefixed(b.err());
        const auto e = rs::extrapolation_bound(tables[k], 0, range, step);
        if (!e) return prefixed(e.err());
        if (json) {
            per_layer[layer] = {{"rotary_dim", b->rotary_dim},
                                {"base", b->base},
                                {"32_ln_c", b->paper_denominator},
                                {"paper_coefficient", b->paper_coefficient},
                                {"paper_worst_case", b->paper_worst_case},
                                {"sum_theta_squared", b->sum_theta_squared},
                                {"table_worst_case", b->table_worst_case},
                                {"b_over_d_min", e->min},
                                {"b_over_d_argmin", e->argmin},
                                {"b_over_d_max", e->max},
                                {"b_over_d_argmax", e->argmax}};
            continue;
        }
        std::printf("\nlayer type %s%s: d = %d, c = %.17g\n", layer.c_str(),
                    k == 0 ? " (primary)" : "", b->rotary_dim, b->base);
        std::printf(
            "  interpolation (Eq. 5, 7): 32 ln c = %.10g, d/(8 ln c) = %.10g, "
            "d/(32 ln c) = %.10g\n",
            b->paper_denominator, b->paper_coefficient, b->paper_worst_case);
        std::printf("  curvature bound: sum_j theta_j^2 = %.10g, / 8 = %.10g\n",
                    b->sum_theta_squared, b->table_worst_case);
        std::printf("  extrapolation (Eq. 8): B(s)/d from %.10g (s = %lld) to %.10g (s = %lld)\n",
                    e->min, static_cast<long long>(e->argmin), e->max,
                    static_cast<long long>(e->argmax));
        std::printf("  extrapolation / interpolation bound at that s: 2 B(s)/d * 32 ln c = %.6g\n",
                    2.0 * e->min * b->paper_denominator);
    }
    if (json) {
        out["layer_types"] = per_layer;
        std::cout << out.dump(2) << '\n';
    }
    return {};
}

/// print(), then the exit status of the CLI: 0, or 1 with "ropescale-inspect: error: <field>:
/// <message>" on stderr (or when stdout fails).
inline int run(const rs::model_rope_config& hf, const std::vector<rs::frequency_table>& tables,
               const rs::table_options& opt, bool json) {
    if (const auto s = print(hf, tables, opt, json); !s) {
        std::fflush(stdout);
        std::fprintf(stderr, "ropescale-inspect: error: %s\n", s.err().what().c_str());
        return 1;
    }
    std::cout.flush();
    std::fflush(stdout);
    return std::ferror(stdout) || !std::cout ? 1 : 0;
}

}  // namespace inspect_pi_bound

#endif  // ROPESCALE_EXAMPLES_INSPECT_PI_BOUND_HPP
