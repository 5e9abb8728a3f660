// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "agent/agent_rig.h"

#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

/// What the receive tests and benchmarks on network namespaces share: the userspace receiver (podtap-receive-probe)
/// run as nobody, the real agent mirroring both directions of the agent rig's pod to it, and the kernel anchor
/// (VXLAN devices captured by dumpcap).
namespace podtap::test::receive {

/// @brief Where a both-ways mirror sends: the pod's ingress with one VNI, its egress with another, to one port.
struct MirrorTarget
{
    int ingressVni = 0;
    int egressVni = 0;
    int port = 4789;
};

/// Starts `podtap-agent mirror --direction both` of @p rig's pod toward its receiver netns (ingress with
/// target.ingressVni, egress with --egress-vni target.egressVni, to target.port), with @p extra appended. Does not
/// wait for `ready`.
std::unique_ptr<QProcess> startBothWaysMirror(
    const AgentRig &rig, const MirrorTarget &target, const QStringList &extra = {});

/// Stops a mirror (SIGTERM) and returns its final `stopped` event (with the packets and bytes it mirrored); an
/// empty object when it did not print one.
QJsonObject stopMirror(QProcess &agent);

/// @brief What `capinfos` reads from a capture file.
struct CaptureFileCounts
{
    qint64 packets = -1; ///< -1 when the file cannot be read
    qint64 dataBytes = -1; ///< sum of the captured frame lengths
};
CaptureFileCounts captureFileCounts(const QString &file);

/// A counter of the IP or UDP line of /proc/net/snmp in netns @p ns (e.g. "Ip", "ReasmOKs"); -1 when unknown.
qint64 snmpCounter(const QString &ns, const QString &protocol, const QString &name);

/// The probe's `--route` arguments for both directions of @p target from @p sender, written as interface @p name.
QStringList probeRoutes(const QString &sender, const MirrorTarget &target, const QString &name);

/// @brief podtap-receive-probe run as nobody (setpriv, uid and gid 65534) in a network namespace, writing pcapng.
///
/// `ip netns exec` and setpriv exec in place, so pid() is the receiver's own process (its CPU time is the probe's).
class ProbeProcess final
{
public:
    ProbeProcess() = default;
    ~ProbeProcess();
    ProbeProcess(const ProbeProcess &) = delete;
    ProbeProcess &operator=(const ProbeProcess &) = delete;

    /// Starts the probe in @p ns on @p port writing @p file, with @p args (routes, names, ...) after those, and
    /// waits for its `ready` event. On failure returns false with @p error set (the probe's stderr).
    bool start(const QString &ns, int port, const QString &file, const QStringList &args, QString *error);
    /// The probe's `ready` event (port, batched, uid, ...).
    QJsonObject ready() const { return m_ready; }
    qint64 pid() const { return m_process.processId(); }
    /// Waits (at most @p timeoutMs) for the `stopped` event the probe prints once it has stopped by itself
    /// (--until-datagrams), and for it to exit 0. Returns an empty object with @p error set otherwise.
    QJsonObject waitStopped(QString *error, int timeoutMs = 30000);
    /// Sends SIGTERM, then as waitStopped().
    QJsonObject stop(QString *error);

private:
    QProcess m_process;
    QJsonObject m_ready;
};

/// @brief The kernel anchor in @p rig's receiver netns: one VXLAN device per VNI of a MirrorTarget (`rxin` for the
/// ingress VNI, `rxout` for the egress VNI), both captured by one `dumpcap -w`.
class KernelAnchor final
{
public:
    explicit KernelAnchor(const AgentRig &rig);
    ~KernelAnchor();
    KernelAnchor(const KernelAnchor &) = delete;
    KernelAnchor &operator=(const KernelAnchor &) = delete;

    /// Adds and raises the two VXLAN devices for @p target (they stay until the rig is torn down).
    bool addDevices(const MirrorTarget &target, QString *error);
    /// Starts dumpcap on both devices writing @p file and waits until it captures.
    bool startCapture(const QString &file, QString *error);
    qint64 pid() const { return m_dumpcap.processId(); }
    /// Stops dumpcap (SIGTERM); returns false with @p error set when it does not exit.
    bool stopCapture(QString *error);
    /// @brief dumpcap's own figures for one device, from the end of its output.
    struct Count
    {
        QString device;
        qint64 received = 0;
        qint64 dropped = 0;
    };
    /// dumpcap's "received/dropped" figures of the last capture, one per device.
    QList<Count> dumpcapCounts() const;
    /// Packets both devices have received so far.
    qint64 devicePackets() const;

private:
    const AgentRig &m_rig;
    QProcess m_dumpcap;
    QByteArray m_output;
};

} // namespace podtap::test::receive
