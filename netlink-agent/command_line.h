// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "bpf_program.h"
#include "target_finder.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace podtap::agent {

/// @brief Everything the command line asked for, validated.
struct AgentOptions
{
    enum class Command { None, Version, Help, Mirror, Receive, Cleanup, Inspect, Stream, Hold };
    Command command = Command::None;
    std::string helpText; ///< set for Command::Help

    TargetSelector target;
    std::uint32_t vni = 0;
    std::string remote; ///< IP literal, may be empty for receive
    std::string local;
    std::string underlayDev;
    std::uint16_t port = 4789;
    std::string interface = "eth0";
    bool ingress = true;
    bool egress = true;
    std::string name; ///< VXLAN device name; default ptap<vni> (mirror) or mirror (receive)
    /// mirror: the VNI of a second device that carries the egress hook's frames (0 = one device for both).
    std::uint32_t egressVni = 0;
    std::string egressName; ///< that device's name; default <name>e
    std::optional<BpfProgram> bpf;
    std::string session;
    std::string heartbeatFile;
    int heartbeatTimeout = 180;
    std::string procRoot = "/proc";
    std::string netnsDir = "/var/run/netns";
    int statsInterval = 5; ///< stream: 1 unless given
    int deadline = 0; ///< seconds, 0 = none
    bool exitWithParent = false;
    /// stream: bytes of each packet kept (default 65535; 0 or more than the pcapng limit means the limit).
    std::uint32_t snaplen = 65535;
    /// stream: the pcapng interface name (`if_name`); default the interface name. The console passes
    /// `ns/pod/iface`.
    std::string ifName;
    /// mirror: the file listing the targets, one per line (re-read while running); empty for one target.
    std::string targetsFile;
    /// mirror: the annotation of a downward-API annotations file whose value is the list; empty: the whole file.
    std::string targetsKey;

    /// Scope of this session's marks: the session ID, or the device name when no session was given.
    std::string sessionKey() const { return session.empty() ? "name:" + name : session; }
    std::vector<std::string> hooks() const;
};

/// The largest --if-name, in bytes.
inline constexpr std::size_t kMaxIfNameBytes = 1024;

/// The value flags of one command line (or one line of a targets file), by flag.
using FlagValues = std::map<std::string, std::string>;

/// The target flags (--container-id, --pod-uid, --pid, --netns) of @p values into @p options; returns how many
/// were given. Throws AgentError(2) for an empty value.
int selectTarget(const FlagValues &values, AgentOptions &options);
/// Checks and normalizes the selected target's value. Throws AgentError(2) naming the flag, value and rule.
void validateTarget(const FlagValues &values, AgentOptions &options);
/// --vni into @p options. Throws AgentError(2) naming the flag, value and rule.
void applyVniFlag(const FlagValues &values, AgentOptions &options);
/// --interface, --direction, --name (default ptap<vni>, or `mirror` for receive), --egress-vni and
/// --egress-name into @p options. Throws AgentError(2) naming the flag, value and rule.
void applyDeviceFlags(const FlagValues &values, const std::string &command, AgentOptions &options);

/// Parses argv. Throws AgentError(2) naming the flag on any usage error.
AgentOptions parseCommandLine(int argc, const char *const *argv);

/// Usage text of one subcommand (or the overview for an empty name).
std::string usageText(const std::string &command);

/// True for a usable interface name: 1..15 bytes, no '/', ':' or whitespace.
bool validInterfaceName(const std::string &name);
/// True for an IPv4 or IPv6 literal; @p family receives AF_INET or AF_INET6.
bool parseIpLiteral(const std::string &text, int *family = nullptr, void *address = nullptr);

} // namespace podtap::agent
