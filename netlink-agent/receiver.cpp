// SPDX-License-Identifier: Apache-2.0
#include "receiver.h"

#include "agent_error.h"
#include "agent_version.h"
#include "json_line.h"
#include "link_control.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace podtap::agent {

namespace {

/// Runs `nft -f -` with @p script on stdin (searching PATH). Returns the exit status, or -1 when nft could
/// not be started; @p output receives its stderr.
int runNft(const std::string &script, std::string &output)
{
    int in[2];
    int err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        return -1;
    }
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        return -1;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(err[1], 2);
        ::dup2(err[1], 1);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        const char *argv[] = {"nft", "-f", "-", nullptr};
        ::execvp("nft", const_cast<char *const *>(argv));
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(err[1]);
    const ssize_t written = ::write(in[1], script.data(), script.size());
    (void)written;
    ::close(in[1]);
    char buf[512];
    ssize_t n = 0;
    while ((n = ::read(err[0], buf, sizeof buf)) > 0) {
        output.append(buf, static_cast<std::size_t>(n));
    }
    ::close(err[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

} // namespace

Receiver::Receiver(AgentOptions options)
    : m_options(std::move(options))
    , m_table("podtap-recv-" + m_options.name)
{
}

bool Receiver::installSourceFilter()
{
    int family = AF_INET;
    parseIpLiteral(m_options.remote, &family);
    // Drop tunnel packets for this VNI and port unless they come from the sender: VXLAN has no
    // authentication, and the kernel accepts any source. The VNI sits 32 bits into the VXLAN header,
    // which follows the 8-byte UDP header. The table is ours alone, so removing it removes exactly this.
    const std::string script = "table inet " + m_table +
        " {\n  chain input {\n    type filter hook input priority -10; "
        "policy accept;\n    udp dport " +
        std::to_string(m_options.port) + " @th,96,24 " + std::to_string(m_options.vni) + " " +
        (family == AF_INET ? "ip" : "ip6") + " saddr != " + m_options.remote + " counter drop\n  }\n}\n";
    std::string output;
    // Replace a table left by an earlier receiver of the same name that was killed.
    std::string ignored;
    runNft("delete table inet " + m_table + "\n", ignored);
    const int status = runNft(script, output);
    if (status == 0) {
        m_tableInstalled = true;
        return true;
    }
    emitEvent("warning",
        JsonLine()
            .add("code", "no-source-filter")
            .add("message",
                std::string("cannot restrict VXLAN packets to sender ") + m_options.remote + " with nftables (" +
                    (status < 0 ? std::string("nft is not available") : "nft failed: " + output) +
                    "): any host that knows the VNI can inject packets into the capture"));
    return false;
}

void Receiver::removeSourceFilter()
{
    if (!m_tableInstalled) {
        return;
    }
    std::string output;
    if (runNft("delete table inet " + m_table + "\n", output) != 0) {
        note("delete nftables table " + m_table + ": " + output);
    }
    m_tableInstalled = false;
}

int Receiver::run()
{
    const pid_t parent = ::getppid();
    if (m_options.exitWithParent) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {
            return ExitOk; // the parent died before the death signal was armed
        }
    }
    NetlinkSocket socket = NetlinkSocket::open(-1, "of the receiver");
    const LinkControl links(socket);
    VxlanSpec spec;
    spec.name = m_options.name;
    spec.vni = m_options.vni;
    spec.port = m_options.port;
    spec.remote = m_options.remote;
    spec.local = m_options.local;
    if (!m_options.underlayDev.empty()) {
        LinkInfo dev;
        if (!links.find(m_options.underlayDev, dev)) {
            throw usageError("--underlay-dev " + m_options.underlayDev + ": no such device");
        }
        spec.underlayIfindex = dev.ifindex;
    }
    const KernelReply reply = links.createVxlan(spec);
    if (!reply.ok()) {
        throw AgentError(ExitKernelRefused,
            "create vxlan " + spec.name + " (vni " + std::to_string(spec.vni) + ", dstport " +
                std::to_string(spec.port) + ") in the receiver's netns: " + reply.reason() +
                (reply.error == -EEXIST ? " (the name is taken, or another VXLAN device already listens for this "
                                          "VNI and port; choose another --name/--vni)"
                                        : ""));
    }
    LinkInfo device;
    links.find(spec.name, device);
    disableIpv6(-1, spec.name);
    const KernelReply upReply = links.finishAndUp(device.ifindex, "podtap receiver");
    if (!upReply.ok()) {
        links.remove(device.ifindex);
        throw AgentError(ExitKernelRefused, "bring up vxlan " + spec.name + ": " + upReply.reason());
    }
    bool fenced = false;
    if (!m_options.remote.empty()) {
        fenced = installSourceFilter();
    }
    emitEvent("ready",
        JsonLine()
            .add("device", spec.name)
            .add("vni", spec.vni)
            .add("ifindex", device.ifindex)
            .add("port", static_cast<unsigned>(spec.port))
            .add("remote", spec.remote)
            .add("source_filter", fenced ? m_table : std::string())
            .add("version", kAgentVersion)
            .add("contract", kAgentContract));

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    UniqueFd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC));
    // A console without root cannot signal a receiver that pkexec started as root, but it holds the
    // receiver's stdin: a `stop` line, or the end of stdin (the console closed it, or died), stops it.
    // Only a pipe or a socket is watched: /dev/null (a pod, a background job) would end it at once.
    struct stat in = {};
    const bool watchStdin = ::fstat(STDIN_FILENO, &in) == 0 && (S_ISFIFO(in.st_mode) || S_ISSOCK(in.st_mode));
    std::string pending;
    std::string reason = "signal";
    for (;;) {
        pollfd pfds[2] = {{sigfd.get(), POLLIN, 0}, {watchStdin ? STDIN_FILENO : -1, POLLIN, 0}};
        const int ready = ::poll(pfds, 2, 1000);
        if (ready > 0 && (pfds[0].revents & POLLIN)) {
            signalfd_siginfo info = {};
            if (::read(sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                // PR_SET_PDEATHSIG arrives as an ordinary SIGTERM: say why, as the polling path below does.
                if (m_options.exitWithParent && ::getppid() != parent) {
                    reason = "parent-gone";
                }
                break;
            }
        }
        if (ready > 0 && pfds[1].revents != 0) {
            char buf[512];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                note("stdin closed, tearing down");
                reason = "stdin-closed";
                break;
            }
            if (n > 0) {
                pending.append(buf, static_cast<std::size_t>(n));
                bool stop = false;
                for (std::size_t end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
                    std::string line = pending.substr(0, end);
                    pending.erase(0, end + 1);
                    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
                        line.pop_back();
                    }
                    stop = stop || line == "stop";
                }
                if (pending.size() > 4096) {
                    pending.clear(); // an endless line is no command
                }
                if (stop) {
                    note("stop requested on stdin, tearing down");
                    reason = "stdin-stop";
                    break;
                }
            }
        }
        if (m_options.exitWithParent && ::getppid() != parent) {
            reason = "parent-gone";
            break;
        }
    }
    removeSourceFilter();
    const KernelReply removed = links.remove(device.ifindex);
    if (!removed.ok() && removed.error != -ENODEV) {
        throw AgentError(ExitKernelRefused,
            "delete vxlan " + spec.name + " (ifindex " + std::to_string(device.ifindex) + "): " + removed.reason());
    }
    emitEvent("stopped", JsonLine().add("reason", reason).add("device", spec.name));
    return ExitOk;
}

} // namespace podtap::agent
