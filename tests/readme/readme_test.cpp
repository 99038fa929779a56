// The README never lies: every ```cpp block of README.md appears (its lines, in order) in a
// compiled source (the quick start or the snippets file), and the quick start's output shown
// in the README is exactly what the program prints.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The fenced blocks of `markdown` whose info string is `lang`.
std::vector<std::string> blocks(const std::string& markdown, const std::string& lang) {
    std::vector<std::string> out;
    const auto lines = lines_of(markdown);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i] != "```" + lang) continue;
        std::string block;
        for (++i; i < lines.size() && lines[i] != "```"; ++i) block += lines[i] + "\n";
        out.push_back(block);
    }
    return out;
}

// Whether every non-blank line of `block` appears in `source`, in order.
bool contained_in_order(const std::string& block, const std::string& source) {
    const auto src = lines_of(source);
    std::size_t at = 0;
    for (const auto& line : lines_of(block)) {
        if (line.find_first_not_of(' ') == std::string::npos) continue;
        while (at < src.size() && src[at] != line) ++at;
        if (at == src.size()) return false;
        ++at;
    }
    return true;
}

std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    EXPECT_EQ(pclose(pipe), 0) << command;
    return out;
}

}  // namespace

TEST(readme, every_cpp_block_is_compiled) {
    const std::string readme = read_file(ROPESCALE_README);
    const std::string quickstart = read_file(ROPESCALE_QUICKSTART_SOURCE);
    const std::string snippets = read_file(ROPESCALE_SNIPPETS_SOURCE);
    const auto cpp = blocks(readme, "cpp");
    ASSERT_FALSE(cpp.empty());
    for (const auto& b : cpp)
        EXPECT_TRUE(contained_in_order(b, quickstart) || contained_in_order(b, snippets))
            << "README block not found in a compiled source:\n"
            << b;
}

TEST(readme, quickstart_is_shown_verbatim_with_its_output) {
    const std::string readme = read_file(ROPESCALE_README);
    const std::string quickstart = read_file(ROPESCALE_QUICKSTART_SOURCE);
    EXPECT_NE(readme.find("```cpp\n" + quickstart + "```\n"), std::string::npos)
        << "README does not show examples/quickstart/quickstart.cpp verbatim";
    // Run from the repository root, as the README says.
    const std::string output = run(std::string("cd \"") + ROPESCALE_SOURCE_DIR + "\" && \"" +
                                   ROPESCALE_QUICKSTART_EXE + "\"");
    ASSERT_FALSE(output.empty());
    EXPECT_NE(readme.find("```text\n" + output + "```\n"), std::string::npos)
        << "README does not show the quick start's output; it prints:\n"
        << output;
}

TEST(readme, snippets_run) {
    // The GGUF snippet reads Llama 3.1 written as llama.cpp's converter writes it.
    const std::string gguf = std::string(ROPESCALE_README_WORK_DIR) + "/Llama-3.1-8B.gguf";
    run(std::string("\"") + ROPESCALE_MAKE_MODEL_GGUF + "\" Llama-3.1-8B \"" +
        ROPESCALE_SOURCE_DIR + "/examples/configs\" \"" + gguf + "\"");
    const std::string out =
        run(std::string("\"") + ROPESCALE_SNIPPETS_EXE + "\" \"" + ROPESCALE_SNIPPETS_CONFIG +
            "\" \"" + ROPESCALE_SNIPPETS_VL_CONFIG + "\" \"" + gguf + "\"");
    (void)out;  // exit status checked by run()
}
