// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

namespace podtap::agent {

/// @brief A classic BPF program in `tcpdump -ddd` form: a count, then `code jt jf k` lines.
struct BpfProgram
{
    std::vector<sock_filter> instructions;

    /// Parses @p text; lines may be separated by newlines or commas. On failure returns false and sets
    /// @p error to what is wrong and where.
    static bool parse(const std::string &text, BpfProgram &program, std::string &error);
};

} // namespace podtap::agent
