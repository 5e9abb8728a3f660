// SPDX-License-Identifier: Apache-2.0
// Container and pod matching on hostile /proc/<pid>/cgroup files: a match needs the ID (or UID) as
// a whole path component of a cgroup line, so no other container's or pod's process is ever taken.
#include "fuzz_support.h"
#include "target_finder.h"

#include <algorithm>
#include <string>

using namespace podtap::agent;
using podtap::fuzz::require;

namespace {

/// True when @p needle appears in @p file right after a '/' or '-' and right before a '/', '.', end of
/// line or end of file: the only places a cgroup path component can carry an ID.
bool appearsAsComponentPart(const std::string &file, const std::string &needle)
{
    for (std::size_t at = file.find(needle); at != std::string::npos; at = file.find(needle, at + 1)) {
        const std::size_t end = at + needle.size();
        const bool before =
            at > 0 && (file[at - 1] == '/' || file[at - 1] == '-' || file[at - 1] == ':' || file[at - 1] == 'd');
        const bool after = end == file.size() || file[end] == '/' || file[end] == '.' || file[end] == '\n';
        if (before && after) {
            return true;
        }
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Layout: the ID on the first line, the cgroup file after it.
    const std::string input(reinterpret_cast<const char *>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string raw = input.substr(0, newline);
    const std::string file = newline == std::string::npos ? std::string() : input.substr(newline + 1);

    const std::string id = TargetFinder::normalizeContainerId(raw);
    require(raw.size() >= id.size() && raw.compare(raw.size() - id.size(), id.size(), id) == 0,
        "a normalized container ID is not the end of what was given");
    if (TargetFinder::cgroupNamesContainer(file, id)) {
        require(!id.empty() && appearsAsComponentPart(file, id), "a container matched without its ID in the file");
    }
    if (TargetFinder::cgroupNamesPod(file, raw)) {
        std::string underscored = raw;
        std::replace(underscored.begin(), underscored.end(), '-', '_');
        require(!raw.empty() && (appearsAsComponentPart(file, raw) || appearsAsComponentPart(file, underscored)),
            "a pod matched without its UID in the file");
    }
    return 0;
}
