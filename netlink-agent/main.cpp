// SPDX-License-Identifier: Apache-2.0
// podtap-agent: mirrors a pod's interface into a VXLAN tunnel, or streams it as pcapng (see `podtap-agent --help`).
#include "agent_error.h"
#include "agent_version.h"
#include "command_line.h"
#include "hold.h"
#include "json_line.h"
#include "link_control.h"
#include "mirror_session.h"
#include "multi_mirror.h"
#include "receiver.h"
#include "stream_session.h"
#include "tc_control.h"

#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace podtap::agent;

namespace {

std::string hex32(std::uint32_t value)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x:%x", value >> 16, value & 0xffffu);
    return buf;
}

struct OpenTarget
{
    ResolvedTarget target;
    UniqueFd netns;
};

OpenTarget openTarget(const AgentOptions &options)
{
    OpenTarget result;
    result.target = TargetFinder(options.procRoot, options.netnsDir).resolve(options.target);
    result.netns = UniqueFd(::open(result.target.netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!result.netns.valid()) {
        throw AgentError(ExitTargetNotFound,
            options.target.describe() + ": open " + result.target.netnsPath + ": " + std::strerror(errno));
    }
    return result;
}

int runCleanup(const AgentOptions &options)
{
    OpenTarget target = openTarget(options);
    NetlinkSocket socket = NetlinkSocket::open(target.netns.get(), target.target.netnsPath);
    const LinkControl links(socket);
    const std::string key = options.session;
    const std::string *scope = key.empty() ? nullptr : &key;
    int filters = 0;
    for (const LinkInfo &link : links.all()) {
        if (link.alias.rfind("podtap ", 0) == 0) {
            continue; // podtap's own devices go whole, with their filters
        }
        filters += removePodtapFilters(TcControl(socket, link.name, link.ifindex), scope);
    }
    const int devices = removePodtapDevices(links, scope);
    emitEvent("cleaned",
        JsonLine()
            .add("netns", target.target.netnsPath)
            .add("session", key)
            .add("filters_removed", filters)
            .add("devices_removed", devices));
    return ExitOk;
}

int runInspect(const AgentOptions &options)
{
    OpenTarget target = openTarget(options);
    NetlinkSocket socket = NetlinkSocket::open(target.netns.get(), target.target.netnsPath);
    const LinkControl linkControl(socket);
    const std::vector<LinkInfo> links = linkControl.all();
    std::string linkJson = "[";
    std::string qdiscJson = "[";
    std::string filterJson = "[";
    bool firstQdisc = true;
    bool firstFilter = true;
    for (std::size_t i = 0; i < links.size(); ++i) {
        const LinkInfo &link = links[i];
        linkJson += std::string(i ? "," : "") +
            JsonLine()
                .add("name", link.name)
                .add("index", link.ifindex)
                .add("mac", link.mac)
                .add("mtu", link.mtu)
                .add("kind", link.kind)
                .add("up", link.up)
                .add("alias", link.alias)
                .str();
        const TcControl tc(socket, link.name, link.ifindex);
        bool hasHooks = false;
        for (const QdiscInfo &qdisc : tc.qdiscs()) {
            hasHooks = hasHooks || qdisc.kind == "clsact" || qdisc.kind == "ingress";
            qdiscJson += std::string(firstQdisc ? "" : ",") +
                JsonLine()
                    .add("dev", link.name)
                    .add("kind", qdisc.kind)
                    .add("handle", hex32(qdisc.handle))
                    .add("parent", qdisc.parent == TC_H_ROOT ? std::string("root") : hex32(qdisc.parent))
                    .str();
            firstQdisc = false;
        }
        if (!hasHooks) {
            continue;
        }
        for (const Hook hook : {Hook::Ingress, Hook::Egress}) {
            for (const FilterInfo &f : tc.filters(hook)) {
                if (!f.isRule()) {
                    continue;
                }
                JsonLine line;
                line.add("dev", link.name)
                    .add("hook", hookName(hook))
                    .add("prio", f.prio)
                    .add("protocol", static_cast<unsigned>(f.protocol))
                    .add("kind", f.kind)
                    .add("handle", hex32(f.handle))
                    .add("podtap", f.podtap)
                    .add("packets", f.packets)
                    .add("bytes", f.bytes);
                if (f.podtap) {
                    char hash[20];
                    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(f.sessionHash));
                    line.add("session_hash", hash);
                }
                filterJson += std::string(firstFilter ? "" : ",") + line.str();
                firstFilter = false;
            }
        }
    }
    linkJson += "]";
    qdiscJson += "]";
    filterJson += "]";
    const std::string out = JsonLine()
                                .add("netns", target.target.netnsPath)
                                .add("pid", target.target.pid)
                                .addRaw("links", linkJson)
                                .addRaw("qdiscs", qdiscJson)
                                .addRaw("filters", filterJson)
                                .str() +
        "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return ExitOk;
}

/// Under pkexec the polkit action io.podtap.receive authorizes the local receiver only: any process of
/// the user could otherwise run a mirror to any IP, or a cleanup in any netns, on that authorization.
void refuseUnderPkexec(int argc, char **argv)
{
    if (!std::getenv("PKEXEC_UID") || argc < 2) {
        return;
    }
    const std::string command = argv[1];
    if (command == "receive" || command == "--version" || command == "version" || command == "--help" ||
        command == "-h" || command == "help") {
        return;
    }
    throw usageError("'" + command +
        "' refused: podtap-agent started through pkexec (PKEXEC_UID is set) runs only `receive`, the "
        "local receiver that the polkit action io.podtap.receive authorizes; run other commands as root "
        "directly (e.g. with sudo), never through pkexec");
}

} // namespace

int main(int argc, char **argv)
{
    // Stop signals are taken from a signalfd in the main loop, so one arriving during set-up waits until
    // the mirror is complete and is then torn down in order, never half-way.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGHUP);
    ::sigprocmask(SIG_BLOCK, &stopSignals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    // stream's stdout carries pcapng: its events, usage errors included, go to stderr.
    setEventsToStderr(argc >= 2 && std::string(argv[1]) == "stream");

    AgentOptions options;
    try {
        refuseUnderPkexec(argc, argv);
        options = parseCommandLine(argc, argv);
        switch (options.command) {
        case AgentOptions::Command::Version:
            std::printf("podtap-agent %s (contract %d)\n", kAgentVersion, kAgentContract);
            return ExitOk;
        case AgentOptions::Command::Help:
            std::fputs(options.helpText.c_str(), stdout);
            return ExitOk;
        case AgentOptions::Command::Mirror: {
            if (options.exitWithParent) {
                ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            }
            if (!options.targetsFile.empty()) {
                return MultiMirror(options).run();
            }
            MirrorSession session(options);
            return session.run();
        }
        case AgentOptions::Command::Receive:
            return Receiver(options).run();
        case AgentOptions::Command::Stream: {
            StreamSession session(options);
            return session.run();
        }
        case AgentOptions::Command::Hold:
            return runHold(options);
        case AgentOptions::Command::Cleanup:
            return runCleanup(options);
        case AgentOptions::Command::Inspect:
            return runInspect(options);
        case AgentOptions::Command::None:
            break;
        }
        throw usageError("missing command");
    } catch (const AgentError &error) {
        emitEvent("error", JsonLine().add("message", error.what()).add("exit_code", error.exitCode()));
        note(std::string(error.what()));
        return error.exitCode();
    } catch (const std::exception &error) {
        emitEvent("error", JsonLine().add("message", error.what()).add("exit_code", static_cast<int>(ExitFailure)));
        note(std::string("internal error: ") + error.what());
        return ExitFailure;
    }
}
