// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace podtap::agent {

/// The most targets one agent runs.
inline constexpr std::size_t kMaxTargets = 256;
/// The longest target tag, in bytes.
inline constexpr std::size_t kMaxTagBytes = 253;

/// @brief One target of a targets file: its tag, its line and the options of its mirror.
struct TargetSpec
{
    std::string tag;
    std::string line; ///< the tokens joined by single spaces: a change of it is a changed target
    int lineNumber = 0; ///< 1-based
    AgentOptions options; ///< the common flags with this line's applied; session `<session>/<TAG>`
};

/// @brief A line of a targets file that was skipped, and why.
struct TargetLineError
{
    int lineNumber = 0;
    std::string target; ///< the line's TAG when it has a valid one, else "line N"
    std::string message; ///< names the line, the TAG, the flag, the value and the rule
};

/// @brief What a targets file asks for: the good lines in order, and the bad ones.
struct TargetList
{
    std::vector<TargetSpec> targets;
    std::vector<TargetLineError> errors;
};

/// True for 1-253 bytes of A-Z a-z 0-9 . _ / -.
bool validTargetTag(std::string_view tag);

/// Parses a target list (one `TAG FLAG VALUE [FLAG VALUE ...]` per line; blank lines and lines starting with
/// `#` ignored) against the command line's @p defaults. Pure: reads nothing, touches no kernel. Bad lines
/// (syntax, a flag's value, a TAG, VNI or device name used twice, more than kMaxTargets) land in `errors`
/// and never in `targets`.
TargetList parseTargetList(std::string_view text, const AgentOptions &defaults);

} // namespace podtap::agent
