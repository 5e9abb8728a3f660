// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace podtap::sim {

/// True while the podtap-sim with this pid runs (a reused pid of another program does not count).
bool isRigAlive(int pid);

/// @brief Container cgroups shaped like the runtimes' own, under `podtap-sim-<pid>` in a cgroup
/// hierarchy this machine lets us write (cgroup v2, else the v1 name=systemd one).
///
/// The agent recognises a container by the cgroup path components its runtime uses:
/// - containerd, cgroupfs driver: `kubepods/besteffort/pod<uid>/<id>`;
/// - CRI-O, systemd driver: `kubepods.slice/kubepods-besteffort.slice/
///   kubepods-besteffort-pod<uid_>.slice/crio-<id>.scope`.
class RigCgroups final
{
public:
    enum class Runtime { Containerd, CriO };

    RigCgroups();
    ~RigCgroups();
    RigCgroups(const RigCgroups &) = delete;
    RigCgroups &operator=(const RigCgroups &) = delete;

    /// Finds a writable hierarchy and creates this rig's base; false with a reason otherwise.
    bool setUp(QString *error);
    /// Creates the container's cgroup; returns its directory (empty with @p error set on failure).
    QString createContainer(Runtime runtime, const QByteArray &podUid, const QByteArray &containerId, QString *error);
    /// Removes a container's cgroup and the pod's, when they are empty.
    void removeContainer(const QString &directory);
    /// Kills whatever is still inside and removes the base.
    void tearDown();

    /// The status's containerID for @p id: `containerd://<id>` or `cri-o://<id>`.
    static QByteArray containerIdFor(Runtime runtime, const QByteArray &id);
    /// Removes the bases of rigs whose podtap-sim is gone. Returns what it removed.
    static QStringList removeLeftovers();
    /// The base cgroup of the rig of podtap-sim @p simPid (whether or not it exists), or empty when no
    /// usable hierarchy is mounted.
    static QString baseOf(qint64 simPid);

private:
    static QString findHierarchy();
    QString m_base;
};

} // namespace podtap::sim
