// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace podtap::sim {

/// @brief The rig's network: real namespaces on this kernel, named `ptsim<pid>-*`.
///
/// Address plan (documentation ranges only):
/// - the underlay: a bridge in `<prefix>-u`; node i is `<prefix>-n<i>` with 198.51.100.(i+1)/24 on
///   eth0; the workstation (where API clients and local receivers run) is `<prefix>-w` with
///   198.51.100.254/24;
/// - pods: node i routes 203.0.113.(32 i)/27; a pod is `<prefix>-p<n>` with one of those
///   addresses on eth0 (MTU 1450, as behind a VXLAN CNI), a /32 route on the node side, proxy ARP,
///   and routes between the nodes' blocks, so pods on different nodes reach each other.
class RigNetwork final
{
public:
    static constexpr int kMaxNodes = 8;
    static constexpr int kPodsPerNode = 30;

    struct Node
    {
        QByteArray name;
        QString netns;
        QByteArray ip;
    };
    struct Pod
    {
        QString netns;
        QByteArray ip;
        int node = -1;
        int slot = -1;
    };

    /// @p prefix names every object, e.g. "ptsim1234".
    explicit RigNetwork(QString prefix);
    ~RigNetwork();
    RigNetwork(const RigNetwork &) = delete;
    RigNetwork &operator=(const RigNetwork &) = delete;

    /// The prefix of this process's rig.
    static QString prefixForThisProcess();
    /// Deletes the namespaces of rigs whose podtap-sim is gone (after a kill -9), with the
    /// processes still in them. Returns what it removed.
    static QStringList removeLeftovers();

    bool setUp(const std::vector<QByteArray> &nodeNames, QString *error);
    /// Gives a pod on node @p node its namespace, veth and address.
    std::optional<Pod> addPod(int node, QString *error);
    void removePod(const Pod &pod);
    /// Deletes every namespace of this rig (kill the processes in them first).
    void tearDown();

    const std::vector<Node> &nodes() const { return m_nodes; }
    int nodeIndex(const QByteArray &name) const;
    QString workstationNetns() const { return m_prefix + QStringLiteral("-w"); }
    QString underlayNetns() const { return m_prefix + QStringLiteral("-u"); }
    static QByteArray workstationIp() { return "198.51.100.254"; }
    static QString netnsPath(const QString &netns) { return QStringLiteral("/run/netns/") + netns; }

private:
    bool addNetns(const QString &name, QString *error);
    QString m_prefix;
    std::vector<Node> m_nodes;
    std::vector<std::vector<bool>> m_slotsUsed;
    QStringList m_namespaces;
    int m_nextPod = 0;
};

/// Runs `ip` with @p args, feeding @p batch (for `-batch -`); false with the command and its
/// output in @p error when it fails.
bool runIp(const QStringList &args, const QByteArray &batch, QString *error);

} // namespace podtap::sim
