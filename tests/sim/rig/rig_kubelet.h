// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "rig/rig_cgroups.h"
#include "rig/rig_exec.h"
#include "rig/rig_network.h"
#include "sim_kubelet.h"
#include "sim_store.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QProcess>
#include <QTimer>

#include <map>
#include <memory>
#include <optional>

namespace podtap::sim {

/// @brief The kubelet of `podtap-sim --rig`: pods become real processes on this kernel.
///
/// - Every running pod gets a network namespace behind a veth to its node (RigNetwork) and one
///   process per container in a cgroup shaped like containerd's (even nodes) or CRI-O's (odd nodes)
///   whose ID the pod status reports. The main container sends UDP to the next pod every few
///   hundred milliseconds and answers what it receives (port 9999); sidecars idle.
/// - A pod whose image is podtap's agent runs the locally built podtap-agent with the pod's args,
///   in its node's network namespace (hostNetwork), changed-root into a directory holding only the
///   agent, with the pod's hostPath and downwardAPI volumes bind-mounted where the pod mounts them.
///   Its output is the pod log; the downwardAPI files are rewritten when the pod's metadata changes.
/// - Deleting a pod sends SIGTERM, and SIGKILL after the grace period; restartPolicy,
///   activeDeadlineSeconds and exit codes are honoured.
class RigKubelet final : public SimKubelet
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RigKubelet)

public:
    struct Options
    {
        QString agentBinary; ///< the podtap-agent the agent pods run
        QString podBinary; ///< podtap-sim-pod
        QString runDir; ///< scratch space for pod root directories and volumes
        int trafficIntervalMs = 200;
    };

    RigKubelet(SimStore *store, Options options, QObject *parent = nullptr);
    ~RigKubelet() override;

    /// Removes leftovers of killed rigs, builds the network and starts the seeded running pods.
    bool setUp(QString *error);
    /// Stops every pod (agents get SIGTERM and a few seconds to clean up) and removes everything.
    void tearDown();

    QString workstationNetns() const { return m_network.workstationNetns(); }
    /// The `--describe-out` JSON: the workstation netns, the nodes and the running pods.
    QByteArray describe() const;

    void podDeleting(const SimPod &pod, qint64 graceSeconds) override;
    /// Runs the command in the container's context (RigExecCommand); pods the rig does not run
    /// get the built-in commands.
    ExecCommand *startExec(const SimPod &pod, const QByteArray &container, const QByteArrayList &command) override;

    /// Finds podtap-agent and podtap-sim-pod next to this executable or in the build tree.
    static QString findBuiltProgram(const QString &name);
    /// The downward API's rendering of a map: sorted `key="value"` lines, Go-quoted.
    static QByteArray formatDownwardMap(const StringPairs &pairs);

protected:
    void startContainers(const SimPod &pod, const SimNode &node) override;
    void stopContainers(const SimPod &pod, qint64 graceSeconds) override;

private:
    struct Container
    {
        QByteArray name;
        QByteArray id;
        QString cgroup;
        QPointer<QProcess> process;
        QByteArray partialLine;
        std::vector<QPointer<RigExecCommand>> execs; // `pods/exec` commands in this container
        int restarts = 0;
        bool done = false;
        int exitCode = 0;
    };
    struct Volume
    {
        QString directory; // on the host
        QJsonArray items; // downwardAPI items
    };
    struct RigPod
    {
        QByteArray ns;
        QByteArray name;
        QByteArray uid;
        int node = -1;
        bool agent = false;
        bool hostNetwork = false;
        QByteArray restartPolicy = "Always";
        QJsonObject spec;
        std::optional<RigNetwork::Pod> net;
        QString directory;
        std::vector<QStringList> commands; // per container: the command after `enter ... --`
        /// The container that sends the pod's traffic; its peer is chosen at each (re)start.
        std::optional<std::size_t> trafficContainer;
        QStringList enterArgs; // shared part of the `enter` arguments (netns, root, binds)
        std::map<QString, Volume> downward;
        std::vector<Container> containers;
        QByteArray peerIp;
        bool deleting = false;
        bool gone = false; // the object already left the store
        bool deadlineExceeded = false;
        std::unique_ptr<QTimer> killTimer;
        std::unique_ptr<QTimer> deadlineTimer;
    };

    bool startRigPod(const SimPod &pod, int node, QString *error);
    bool prepareAgentRoot(RigPod &rig, const QJsonObject &container, QString *error);
    void writeDownwardFiles(const RigPod &rig, const SimPod &pod);
    void launch(RigPod &rig, std::size_t index);
    void onOutput(const QByteArray &uid, std::size_t index);
    void onExited(const QByteArray &uid, std::size_t index, int exitCode, QProcess::ExitStatus status);
    void onEvent(const WatchEvent &event);
    void signalAll(RigPod &rig, int signal);
    bool allExited(const RigPod &rig) const;
    /// Frees the pod's namespace, cgroups and directory once its processes are gone.
    void release(RigPod &rig);
    RigCgroups::Runtime runtimeFor(int node) const;
    QByteArray trafficPeer(const QByteArray &uid) const;

    Options m_options;
    RigNetwork m_network;
    RigCgroups m_cgroups;
    std::map<QByteArray, std::unique_ptr<RigPod>> m_pods; // by uid
    std::vector<QByteArray> m_trafficOrder; // uids of traffic pods in start order, for peers
};

} // namespace podtap::sim
