// SPDX-License-Identifier: Apache-2.0
#include "bpf_program.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace podtap::agent {

namespace {

bool parseNumber(const std::string &token, unsigned long long max, unsigned long long &value)
{
    if (token.empty() || token.size() > 20) {
        return false;
    }
    for (const char c : token) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    errno = 0;
    value = std::strtoull(token.c_str(), nullptr, 10);
    return errno == 0 && value <= max;
}

} // namespace

bool BpfProgram::parse(const std::string &text, BpfProgram &program, std::string &error)
{
    std::vector<std::string> lines;
    std::string current;
    for (const char c : text) {
        if (c == '\n' || c == ',' || c == ';') {
            lines.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    lines.push_back(current);
    std::vector<std::vector<std::string>> rows;
    for (const std::string &line : lines) {
        std::istringstream words(line);
        std::vector<std::string> row;
        std::string word;
        while (words >> word) {
            row.push_back(word);
        }
        if (!row.empty()) {
            rows.push_back(row);
        }
    }
    if (rows.empty()) {
        error = "is empty; expected the output of tcpdump -ddd: a count, then `code jt jf k` lines";
        return false;
    }
    unsigned long long count = 0;
    if (rows.front().size() != 1 || !parseNumber(rows.front().front(), BPF_MAXINSNS, count) || count == 0) {
        error = "must start with the instruction count (1.." + std::to_string(BPF_MAXINSNS) +
            ") on its own line, as tcpdump -ddd prints it";
        return false;
    }
    if (rows.size() - 1 != count) {
        error = "announces " + std::to_string(count) + " instructions but has " + std::to_string(rows.size() - 1);
        return false;
    }
    program.instructions.clear();
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto &row = rows[i];
        unsigned long long code = 0;
        unsigned long long jt = 0;
        unsigned long long jf = 0;
        unsigned long long k = 0;
        if (row.size() != 4 || !parseNumber(row[0], 0xffff, code) || !parseNumber(row[1], 0xff, jt) ||
            !parseNumber(row[2], 0xff, jf) || !parseNumber(row[3], 0xffffffffULL, k)) {
            error = "instruction " + std::to_string(i) +
                " is not `code jt jf k` in decimal (code <= 65535, jt and "
                "jf <= 255, k <= 4294967295)";
            return false;
        }
        program.instructions.push_back(sock_filter {
            static_cast<__u16>(code), static_cast<__u8>(jt), static_cast<__u8>(jf), static_cast<__u32>(k)});
    }
    return true;
}

} // namespace podtap::agent
