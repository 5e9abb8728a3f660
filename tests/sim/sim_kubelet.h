// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sim_objects.h"

#include <QObject>

#include <functional>

namespace podtap::sim {

class ExecCommand;
class SimStore;

/// @brief Scheduler and kubelet for pods created through the API: binds them to a node, starts
/// their containers after a short delay, and removes them when their deletion grace is over.
///
/// This is the hook for a rig: a subclass overrides startContainers() to run real processes
/// (feeding their output to SimStore::appendLog) and stopContainers() to signal them; it calls
/// finishDeletion() once they are gone.
class SimKubelet : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimKubelet)

public:
    explicit SimKubelet(SimStore *store, QObject *parent = nullptr);
    ~SimKubelet() override;

    void setStartDelayMs(int ms) { m_startDelayMs = ms; }
    void setStopDelayMs(int ms) { m_stopDelayMs = ms; }

    /// The API server stored a new pod (not for dry runs).
    virtual void podCreated(const SimPod &pod);
    /// The API server set the pod's deletionTimestamp; the pod goes away after its grace period or
    /// once its containers stopped, whichever comes first.
    virtual void podDeleting(const SimPod &pod, qint64 graceSeconds);

    /// A `pods/exec` command in @p container of the running @p pod (the caller owns it; it starts
    /// when the session calls start()). Default: the built-in commands (BuiltinExecCommand).
    virtual ExecCommand *startExec(const SimPod &pod, const QByteArray &container, const QByteArrayList &command);

    static QByteArray randomContainerId();

protected:
    /// Default: the containers "run" at once, ready, with a few log lines.
    virtual void startContainers(const SimPod &pod, const SimNode &node);
    /// Default: the containers stop within the stop delay.
    virtual void stopContainers(const SimPod &pod, qint64 graceSeconds);
    /// Removes the pod from the store (watchers see DELETED), if it is still the same pod.
    void finishDeletion(const QByteArray &ns, const QByteArray &name, const QByteArray &uid);
    /// Applies @p change to a copy of the pod and stores it, if the pod with @p uid still exists.
    bool updatePod(const QByteArray &ns, const QByteArray &name, const QByteArray &uid,
        const std::function<void(SimPod &)> &change);
    QByteArray allocatePodIP();

    SimStore *m_store;

private:
    int m_startDelayMs = 200;
    int m_stopDelayMs = 300;
    quint32 m_nextPodIP = 0;
};

} // namespace podtap::sim
