// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace podtap::test {

/// @brief How an AgentRig is shaped.
struct AgentRigOptions
{
    enum class Runtime { Containerd, Crio };
    Runtime runtime = Runtime::Containerd;
    int podMtu = 1450;
    int underlayMtu = 1500;
    bool ipv6Underlay = false;
};

/// @brief A running capture (tshark in the receiver netns) writing to a pcap file.
struct RigCapture
{
    std::unique_ptr<QProcess> process;
    QString pcap;
};

/// @brief A node, a pod and a receiver made of network namespaces, for testing podtap-agent for real.
///
/// - node netns `ptn<tag>`: the agent runs here; `ul0` on the underlay (198.51.100.1 or 2001:db8:1::1) and
///   `vpod` (192.0.2.1) toward the pod;
/// - pod netns `ptp<tag>`: `eth0` (192.0.2.2, MTU podMtu) and a `sleep` process placed in a cgroup v2 path
///   shaped like containerd's (`.../cri-containerd-<64 hex>.scope`) or CRI-O's (`crio-<id>.scope`) under
///   `kubepods-besteffort-pod<uid_>.slice`. Without a writable cgroup2 mount the rig writes a fake proc
///   root whose `<pid>/cgroup` has that path and whose `<pid>/ns/net` links to the real process's netns;
/// - receiver netns `ptr<tag>`: `ul0` (198.51.100.2 or 2001:db8:1::2), where `podtap-agent receive` and
///   tshark run.
/// Everything is removed by tearDown() (and the destructor), also after a failed test.
class AgentRig
{
public:
    explicit AgentRig(const QString &tag);
    ~AgentRig();
    AgentRig(const AgentRig &) = delete;
    AgentRig &operator=(const AgentRig &) = delete;

    /// Builds the rig; on failure returns false with @p error set (and leaves nothing behind).
    bool setUp(const AgentRigOptions &options, QString *error);
    void tearDown();

    QString nodeNs() const { return m_node; }
    QString podNs() const { return m_pod; }
    QString receiverNs() const { return m_receiver; }
    QString containerId() const { return m_containerId; }
    QString podUid() const { return m_podUid; }
    qint64 podPid() const;
    /// The proc root the agent must be given (/proc, or the fake tree).
    QString procRoot() const { return m_procRoot; }
    QString nodeUnderlayIp() const;
    QString receiverUnderlayIp() const;
    static QString podIp() { return QStringLiteral("192.0.2.2"); }
    static QString nodePodSideIp() { return QStringLiteral("192.0.2.1"); }

    /// `ip netns exec <ns> <command...>`.
    /// A receive counter of @p dev in @p ns (`ip -s -j link`): "packets" or "bytes".
    static qint64 rxCounter(const QString &ns, const QString &dev, const QString &field = QStringLiteral("packets"));
    static QStringList inNs(const QString &ns, const QStringList &command);
    /// Whether @p device exists in netns @p ns.
    static bool linkExists(const QString &ns, const QString &device);
    /// `ip -d -j link show` of @p device in @p ns (empty when it does not exist).
    static QJsonObject linkDetails(const QString &ns, const QString &device);
    static QString agentPath();

    /// Starts `podtap-agent <args>` in the node netns.
    std::unique_ptr<QProcess> startAgent(const QStringList &args) const;
    /// Starts `podtap-agent receive --vni <vni> --name <name> --remote <node ip>` in the receiver netns.
    std::unique_ptr<QProcess> startReceiver(int vni, const QString &name) const;
    /// Waits for a JSON line with "event": @p event on @p process's stdout; every line read is appended to
    /// @p seen. Returns an empty object on timeout or exit.
    static QJsonObject waitForEvent(QProcess &process, const QString &event, int timeoutMs, QList<QJsonObject> *seen);
    /// Sends @p signal and waits for exit; returns false on timeout.
    static bool stop(QProcess &process, int signal, int timeoutMs = 10000);

    /// Starts tshark on @p device in the receiver netns and waits until it captures.
    RigCapture startCapture(const QString &device, QString *error) const;
    /// Stops the capture and returns one row per packet with the given tshark -T fields.
    QList<QStringList> finishCapture(RigCapture &capture, const QStringList &fields) const;

    /// Kills the pod's process (the pod is gone; its named netns stays).
    void killPod();
    /// `tc filter show dev eth0 <hook>` in the pod netns.
    QString podFilters(const QString &hook) const;
    /// Runs a bash snippet in @p ns (for /dev/udp and /dev/tcp traffic).
    static bool bashIn(const QString &ns, const QString &script);
    /// TCP throughput pod -> node (iperf3 for @p seconds, server in the node netns) in Gbit/s, as the server
    /// received it; fails the current test (and returns 0) when iperf3 fails.
    double iperfTcpGbit(int seconds) const;

private:
    bool placeInCgroup(QString *error);

    QString m_tag;
    QString m_node;
    QString m_pod;
    QString m_receiver;
    QString m_containerId;
    QString m_podUid;
    QString m_procRoot = QStringLiteral("/proc");
    QString m_cgroupRoot; ///< top directory the rig created under the cgroup2 mount
    AgentRigOptions m_options;
    std::unique_ptr<QProcess> m_podProcess;
    QTemporaryDir m_workDir;
    bool m_up = false;
};

} // namespace podtap::test
