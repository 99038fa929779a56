// Checks an SVG written by `ropescale-inspect --svg` against the --json output of the same run:
//   inspect_svg_check FILE.svg FILE.json
// 1. The file is well-formed XML (a minimal checker of our own: declaration, one root element,
//    matching tags, quoted and unique attributes, only the predefined and numeric entity
//    references, comments; no DTD), and the root is an <svg> element in the SVG namespace.
// 2. It carries the plotted values: for every layer type of the JSON's layer_tables, one
//    class="pair" point per rotated pair whose data-inv-freq, data-multiplier and data-region
//    equal the JSON's inv_freq[i], multiplier[i] and region[i] (the same doubles: both are
//    written in shortest round-trip form), and one shaded region per pair of the primary table.
// 3. Each layer type's B(s)/d curve (and plain RoPE's) holds data-values whose first entry is
//    B(0)/d = (n + 1) / 4 for n pairs (every partial sum at s = 0 is an exact integer), and
//    data-min / data-max equal the smallest and largest of the values.
// Exit status 0 when all holds, 1 with a message otherwise.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct element {
    std::string name;
    std::map<std::string, std::string> attributes;  // entity references resolved
};

struct xml_error {
    std::string message;
};

class xml_parser {
  public:
    explicit xml_parser(std::string text) : s_(std::move(text)) {}

    // Parses the whole document; every element in document order.
    std::vector<element> parse() {
        if (s_.compare(0, 5, "<?xml") == 0) {
            const auto end = s_.find("?>");
            if (end == std::string::npos) fail("unterminated XML declaration");
            i_ = end + 2;
        }
        misc();
        if (i_ >= s_.size() || s_[i_] != '<') fail("no root element");
        element_();
        misc();
        if (i_ != s_.size()) fail("content after the root element");
        return elements_;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw xml_error{what + " at byte " + std::to_string(i_)};
    }
    static bool name_start(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    }
    static bool name_char(char c) {
        return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
    }
    void spaces() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
            ++i_;
    }
    // Whitespace and comments between top-level items.
    void misc() {
        for (;;) {
            spaces();
            if (s_.compare(i_, 4, "<!--") == 0)
                comment();
            else
                return;
        }
    }
    void comment() {
        const auto end = s_.find("-->", i_ + 4);
        if (end == std::string::npos) fail("unterminated comment");
        if (s_.find("--", i_ + 4) < end) fail("\"--\" inside a comment");
        i_ = end + 3;
    }
    std::string name() {
        if (i_ >= s_.size() || !name_start(s_[i_])) fail("expected a name");
        const std::size_t b = i_;
        while (i_ < s_.size() && name_char(s_[i_])) ++i_;
        return s_.substr(b, i_ - b);
    }
    // One reference after '&': appended to out.
    void reference(std::string& out) {
        const auto end = s_.find(';', i_);
        if (end == std::string::npos || end - i_ > 10) fail("bad entity reference");
        const std::string ref = s_.substr(i_ + 1, end - i_ - 1);
        static const std::map<std::string, std::string> named = {
            {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
        if (const auto it = named.find(ref); it != named.end()) {
            out += it->second;
        } else if (ref.size() > 1 && ref[0] == '#') {
            const bool hex = ref[1] == 'x';
            const std::string digits = ref.substr(hex ? 2 : 1);
            if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                               : "0123456789") != std::string::npos)
                fail("bad character reference &" + ref + ";");
            out += '?';
        } else {
            fail("undefined entity &" + ref + ";");
        }
        i_ = end + 1;
    }
    void element_() {
        ++i_;  // '<'
        element e;
        e.name = name();
        for (;;) {
            const std::size_t before = i_;
            spaces();
            if (i_ >= s_.size()) fail("unterminated start tag <" + e.name);
            if (s_[i_] == '/' || s_[i_] == '>') break;
            if (i_ == before) fail("attributes must be separated by whitespace");
            const std::string key = name();
            spaces();
            if (i_ >= s_.size() || s_[i_] != '=') fail("attribute " + key + " without '='");
            ++i_;
            spaces();
            if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) fail("unquoted " + key);
            const char q = s_[i_++];
            std::string v;
            while (i_ < s_.size() && s_[i_] != q) {
                if (s_[i_] == '<') fail("'<' in attribute " + key);
                if (s_[i_] == '&')
                    reference(v);
                else
                    v += s_[i_++];
            }
            if (i_ >= s_.size()) fail("unterminated attribute " + key);
            ++i_;
            if (!e.attributes.emplace(key, v).second) fail("attribute " + key + " twice");
        }
        const bool empty = s_[i_] == '/';
        elements_.push_back(e);
        if (empty) {
            if (s_.compare(i_, 2, "/>") != 0) fail("expected />");
            i_ += 2;
            return;
        }
        ++i_;  // '>'
        for (;;) {
            if (i_ >= s_.size()) fail("unterminated element <" + e.name + ">");
            if (s_.compare(i_, 4, "<!--") == 0) {
                comment();
            } else if (s_.compare(i_, 2, "</") == 0) {
                i_ += 2;
                if (name() != e.name) fail("end tag does not match <" + e.name + ">");
                spaces();
                if (i_ >= s_.size() || s_[i_] != '>') fail("bad end tag");
                ++i_;
                return;
            } else if (s_[i_] == '<') {
                if (s_.compare(i_, 2, "<!") == 0 || s_.compare(i_, 2, "<?") == 0)
                    fail("markup declarations are not expected");
                element_();
            } else if (s_[i_] == '&') {
                std::string ignored;
                reference(ignored);
            } else {
                if (s_.compare(i_, 3, "]]>") == 0) fail("]]> in text");
                ++i_;
            }
        }
    }

    std::string s_;
    std::size_t i_ = 0;
    std::vector<element> elements_;
};

std::string read_file(const char* path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) throw xml_error{std::string("cannot read ") + path};
    return ss.str();
}

double number(const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') throw xml_error{"not a number: \"" + text + "\""};
    return v;
}

std::vector<double> numbers(const std::string& text) {
    std::vector<double> out;
    std::istringstream in(text);
    std::string word;
    while (in >> word) out.push_back(number(word));
    return out;
}

int problems = 0;
void problem(const std::string& what) {
    if (++problems <= 20) std::cerr << "inspect_svg_check: " << what << '\n';
}

std::string attr(const element& e, const std::string& key) {
    const auto it = e.attributes.find(key);
    return it == e.attributes.end() ? std::string() : it->second;
}

void check_curve(const element& e, const std::string& who, std::size_t pairs) {
    const std::vector<double> v = numbers(attr(e, "data-values"));
    if (v.empty()) return problem(who + ": no data-values");
    const double b0 = (static_cast<double>(pairs) + 1.0) / 4.0;
    if (number(attr(e, "data-first")) == 0.0 && v.front() != b0)
        problem(who + ": B(0)/d = " + std::to_string(v.front()) + ", expected " +
                std::to_string(b0));
    if (number(attr(e, "data-min")) != *std::min_element(v.begin(), v.end()))
        problem(who + ": data-min is not the smallest value");
    if (number(attr(e, "data-max")) != *std::max_element(v.begin(), v.end()))
        problem(who + ": data-max is not the largest value");
    std::size_t points = 0;
    std::istringstream in(attr(e, "points"));
    std::string xy;
    while (in >> xy) ++points;
    if (points != v.size())
        problem(who + ": " + std::to_string(points) + " points for " + std::to_string(v.size()) +
                " values");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: inspect_svg_check FILE.svg FILE.json\n";
        return 2;
    }
    try {
        const std::vector<element> elements = xml_parser(read_file(argv[1])).parse();
        const nlohmann::json j = nlohmann::json::parse(read_file(argv[2]));
        const element& root = elements.front();
        if (root.name != "svg" || attr(root, "xmlns") != "http://www.w3.org/2000/svg")
            problem("the root is not <svg xmlns=\"http://www.w3.org/2000/svg\">");

        const nlohmann::json& tables = j.at("layer_tables");
        std::size_t regions = 0;
        std::map<std::string, std::size_t> curves;
        for (const element& e : elements) {
            if (e.name == "rect" && attr(e, "class") == "region") ++regions;
            if (e.name == "polyline" && attr(e, "class") == "b-over-d-plain")
                check_curve(e, "plain RoPE curve", j.at("inv_freq").size());
        }
        if (regions != j.at("inv_freq").size())
            problem(std::to_string(regions) + " shaded regions for " +
                    std::to_string(j.at("inv_freq").size()) + " pairs of the primary table");
        for (auto it = tables.begin(); it != tables.end(); ++it) {
            const std::string layer = it.key();
            const nlohmann::json& t = it.value();
            const std::size_t pairs = t.at("inv_freq").size();
            std::vector<int> seen(pairs, 0);
            std::size_t curve_count = 0;
            for (const element& e : elements) {
                if (attr(e, "data-layer-type") != layer) continue;
                if (e.name == "polyline" && attr(e, "class") == "b-over-d") {
                    ++curve_count;
                    check_curve(e, layer + " B(s)/d curve", pairs);
                }
                if (e.name != "circle" || attr(e, "class") != "pair") continue;
                const auto i = static_cast<std::size_t>(number(attr(e, "data-pair")));
                if (i >= pairs) {
                    problem(layer + ": pair " + std::to_string(i) + " out of range");
                    continue;
                }
                ++seen[i];
                const std::string at = layer + " pair " + std::to_string(i) + ": ";
                if (number(attr(e, "data-inv-freq")) != t.at("inv_freq")[i].get<double>())
                    problem(at + "data-inv-freq " + attr(e, "data-inv-freq") + " vs JSON " +
                            t.at("inv_freq")[i].dump());
                if (number(attr(e, "data-multiplier")) != t.at("multiplier")[i].get<double>())
                    problem(at + "data-multiplier " + attr(e, "data-multiplier") + " vs JSON " +
                            t.at("multiplier")[i].dump());
                if (attr(e, "data-region") != t.at("region")[i].get<std::string>())
                    problem(at + "data-region " + attr(e, "data-region") + " vs JSON " +
                            t.at("region")[i].dump());
                const double w = number(attr(e, "data-wavelength"));
                const double inv = t.at("inv_freq")[i].get<double>();
                if (!(std::abs(w * inv / 6.283185307179586 - 1.0) < 2e-15))
                    problem(at + "data-wavelength is not 2 pi / inv_freq");
            }
            if (curve_count != 1)
                problem(layer + ": " + std::to_string(curve_count) + " B(s)/d curves");
            for (std::size_t i = 0; i < pairs; ++i) {
                const bool rotated = t.at("multiplier")[i].get<double>() > 0.0;
                if (seen[i] != (rotated ? 1 : 0))
                    problem(layer + " pair " + std::to_string(i) + ": " + std::to_string(seen[i]) +
                            " points");
            }
        }
    } catch (const xml_error& e) {
        std::cerr << "inspect_svg_check: " << argv[1] << ": " << e.message << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "inspect_svg_check: " << e.what() << '\n';
        return 1;
    }
    if (problems) std::cerr << "inspect_svg_check: " << problems << " problem(s)\n";
    return problems ? 1 : 0;
}
