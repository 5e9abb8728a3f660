// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sim_objects.h"

#include <QByteArrayList>
#include <QHash>
#include <QObject>

#include <deque>
#include <map>
#include <optional>

namespace podtap::sim {

/// @brief One change to a stored object, as a watch sees it.
struct WatchEvent
{
    enum class Type { Added, Modified, Deleted };
    quint64 resourceVersion = 0;
    Type type = Type::Added;
    ObjectPtr object; // state after the change (for Deleted: the last state)
    ObjectPtr previous; // state before the change; null for Added
};

const char *eventTypeName(WatchEvent::Type type);

/// @brief The simulated cluster's state: objects by kind and key, one global resourceVersion
/// counter, a ring of recent events for watches, and per-pod log buffers.
class SimStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SimStore)

public:
    using ObjectMap = std::map<QByteArray, ObjectPtr>;

    explicit SimStore(QObject *parent = nullptr);

    quint64 resourceVersion() const { return m_resourceVersion; }
    const ObjectMap &objects(Kind kind) const { return m_objects[int(kind)]; }
    ObjectPtr find(Kind kind, const QByteArray &ns, const QByteArray &name) const;

    /// Stores @p object (a new object or a changed copy), gives it the next resourceVersion,
    /// records the event and tells the watchers.
    ObjectPtr put(std::shared_ptr<SimObject> object);
    /// Removes the object; returns its final state (with a new resourceVersion) or null.
    ObjectPtr remove(Kind kind, const QByteArray &ns, const QByteArray &name);
    /// Stores objects without events, for seeding before anybody watches.
    void seed(std::shared_ptr<SimObject> object);

    /// How many events the ring keeps; older resourceVersions are "too old" (410 Expired).
    void setHistoryLimit(std::size_t limit);
    std::size_t historyLimit() const { return m_historyLimit; }
    /// Events after @p resourceVersion, or nothing when the ring no longer reaches back that far.
    std::optional<std::vector<WatchEvent>> eventsSince(quint64 resourceVersion) const;
    /// The oldest resourceVersion a watch may still start from.
    quint64 oldestWatchableVersion() const;

    /// Appends one line to a pod's log and wakes its followers (the kubelet's hook for agent output).
    void appendLog(const QByteArray &ns, const QByteArray &name, const QByteArray &line);
    /// The pod's log lines: what was appended, or a few deterministic lines for seeded pods.
    QByteArrayList logLines(const QByteArray &ns, const QByteArray &name) const;
    void dropLog(const QByteArray &ns, const QByteArray &name);

    static QByteArray newUid();
    /// The sim's clock: the local clock plus the skew set by --clock-skew-seconds. Every timestamp the
    /// sim writes (Date headers, creation/deletion/start times, log timestamps) comes from it.
    static qint64 nowMs();
    static void setClockSkewMs(qint64 skewMs);

Q_SIGNALS:
    void eventRecorded(const podtap::sim::WatchEvent &event);
    void logAppended(const QByteArray &podKey, const QByteArray &line);

private:
    void record(WatchEvent event);

    ObjectMap m_objects[kindCount];
    quint64 m_resourceVersion = 0;
    quint64 m_historyStart = 0; // resourceVersion before the first event in m_history
    std::deque<WatchEvent> m_history;
    std::size_t m_historyLimit = 100000;
    QHash<QByteArray, QByteArrayList> m_logs;
};

} // namespace podtap::sim
