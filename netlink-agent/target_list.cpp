// SPDX-License-Identifier: Apache-2.0
#include "target_list.h"

#include "agent_error.h"

#include <algorithm>
#include <map>
#include <set>

namespace podtap::agent {

namespace {

const std::set<std::string> kLineFlags = {"--container-id", "--pod-uid", "--pid", "--netns", "--vni", "--egress-vni",
    "--interface", "--direction", "--name", "--egress-name"};

std::vector<std::string> tokens(std::string_view line)
{
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
            ++i;
        }
        if (i > start) {
            out.emplace_back(line.substr(start, i - start));
        }
    }
    return out;
}

/// @p text cut to a length that keeps an error message readable.
std::string shown(const std::string &text)
{
    return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

std::string allowedFlags()
{
    std::string out;
    for (const std::string &flag : kLineFlags) {
        out += (out.empty() ? "" : ", ") + flag;
    }
    return out;
}

/// The options of one line; throws AgentError(2) naming the flag, the value and the rule.
AgentOptions lineOptions(const std::string &tag, const std::vector<std::string> &words, const AgentOptions &defaults)
{
    FlagValues values;
    for (std::size_t i = 1; i < words.size(); i += 2) {
        const std::string &flag = words[i];
        if (!kLineFlags.count(flag)) {
            const std::size_t eq = flag.find('=');
            if (eq != std::string::npos && kLineFlags.count(flag.substr(0, eq))) {
                throw usageError(
                    "'" + shown(flag) + "': write the flag and its value apart, as `" + flag.substr(0, eq) + " VALUE`");
            }
            throw usageError("unknown flag '" + shown(flag) + "' (a target line takes " + allowedFlags() +
                "; the rest comes from the command line)");
        }
        if (i + 1 >= words.size()) {
            throw usageError("flag " + flag + " needs a value");
        }
        if (values.count(flag)) {
            throw usageError("flag " + flag + " given twice");
        }
        values[flag] = words[i + 1];
    }
    AgentOptions options = defaults;
    options.target = {};
    options.vni = 0;
    options.egressVni = 0;
    options.egressName.clear();
    options.targetsFile.clear();
    options.targetsKey.clear();
    const int targets = selectTarget(values, options);
    if (targets != 1) {
        throw usageError(std::string(targets == 0 ? "no target" : "more than one target") +
            ": give exactly one of --container-id, --pod-uid, --pid or --netns");
    }
    validateTarget(values, options);
    if (!values.count("--vni")) {
        throw usageError("no --vni: each target needs its own --vni N (1-16777215)");
    }
    applyVniFlag(values, options);
    applyDeviceFlags(values, "mirror", options);
    options.session = defaults.session.empty() ? std::string() : defaults.session + "/" + tag;
    return options;
}

} // namespace

bool validTargetTag(std::string_view tag)
{
    return !tag.empty() && tag.size() <= kMaxTagBytes && std::all_of(tag.begin(), tag.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
            c == '/' || c == '-';
    });
}

TargetList parseTargetList(std::string_view text, const AgentOptions &defaults)
{
    TargetList list;
    std::map<std::uint32_t, std::string> vnis; // VNI -> the tag that has it
    std::map<std::string, std::string> devices; // device name -> the tag that has it
    std::map<std::string, int> tagLines;
    std::vector<TargetSpec> accepted;
    int number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view raw = text.substr(start, end - start);
        start = end + 1;
        ++number;
        const std::vector<std::string> words = tokens(raw);
        if (words.empty() || words.front().front() == '#') {
            if (end == text.size()) {
                break;
            }
            continue;
        }
        const std::string where = "line " + std::to_string(number);
        const std::string &tag = words.front();
        const auto fail = [&](const std::string &target, const std::string &message) {
            list.errors.push_back({number, target, message});
        };
        if (!validTargetTag(tag)) {
            fail(where,
                where + ": target tag '" + shown(tag) + "' (" + std::to_string(tag.size()) + " bytes): a tag is 1-" +
                    std::to_string(kMaxTagBytes) +
                    " bytes of A-Z a-z 0-9 . _ / - (e.g. namespace/pod), first on the line");
        } else if (const auto seen = tagLines.find(tag); seen != tagLines.end()) {
            fail(tag,
                where + " (target " + tag + "): the tag is already used on line " + std::to_string(seen->second) +
                    "; tags must be unique, so this line is skipped");
        } else {
            tagLines[tag] = number;
            try {
                AgentOptions options = lineOptions(tag, words, defaults);
                std::string clash;
                for (const std::uint32_t vni : {options.vni, options.egressVni}) {
                    if (vni != 0 && vnis.count(vni)) {
                        clash = std::string(vni == options.vni ? "--vni " : "--egress-vni ") + std::to_string(vni) +
                            " is already used by target " + vnis[vni] + ": VNIs must be unique in the list";
                        break;
                    }
                }
                for (const std::string &name : {options.name, options.egressName}) {
                    if (clash.empty() && !name.empty() && devices.count(name)) {
                        clash = std::string(name == options.name ? "--name " : "--egress-name ") + name +
                            " is already used by target " + devices[name] + ": device names must be unique in the list";
                    }
                }
                if (clash.empty() && accepted.size() >= kMaxTargets) {
                    clash = "more than " + std::to_string(kMaxTargets) +
                        " targets: one agent runs at most that many; split the list";
                }
                if (!clash.empty()) {
                    throw usageError(clash);
                }
                vnis[options.vni] = tag;
                if (options.egressVni != 0) {
                    vnis[options.egressVni] = tag;
                    devices[options.egressName] = tag;
                }
                devices[options.name] = tag;
                std::string line;
                for (const std::string &word : words) {
                    line += (line.empty() ? "" : " ") + word;
                }
                accepted.push_back({tag, line, number, std::move(options)});
            } catch (const AgentError &error) {
                fail(tag, where + " (target " + tag + "): " + error.what());
            }
        }
        if (end == text.size()) {
            break;
        }
    }
    list.targets = std::move(accepted);
    return list;
}

} // namespace podtap::agent
