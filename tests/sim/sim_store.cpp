// SPDX-License-Identifier: Apache-2.0
#include "sim_store.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <atomic>

namespace podtap::sim {

const char *eventTypeName(WatchEvent::Type type)
{
    switch (type) {
    case WatchEvent::Type::Added:
        return "ADDED";
    case WatchEvent::Type::Modified:
        return "MODIFIED";
    case WatchEvent::Type::Deleted:
        return "DELETED";
    }
    return "";
}

SimStore::SimStore(QObject *parent)
    : QObject(parent)
{
    // A real cluster never starts at 0, and clients treat "0" specially.
    m_resourceVersion = 1000;
    m_historyStart = m_resourceVersion;
}

ObjectPtr SimStore::find(Kind kind, const QByteArray &ns, const QByteArray &name) const
{
    const ObjectMap &map = m_objects[int(kind)];
    const auto it = map.find(ns.isEmpty() ? name : ns + '/' + name);
    return it == map.end() ? nullptr : it->second;
}

ObjectPtr SimStore::put(std::shared_ptr<SimObject> object)
{
    object->resourceVersion = ++m_resourceVersion;
    ObjectMap &map = m_objects[int(object->kind)];
    ObjectPtr stored = object;
    WatchEvent event;
    event.resourceVersion = object->resourceVersion;
    event.object = stored;
    auto [it, inserted] = map.try_emplace(object->key(), stored);
    if (inserted) {
        event.type = WatchEvent::Type::Added;
    } else {
        event.type = WatchEvent::Type::Modified;
        event.previous = it->second;
        it->second = stored;
    }
    record(std::move(event));
    return stored;
}

ObjectPtr SimStore::remove(Kind kind, const QByteArray &ns, const QByteArray &name)
{
    ObjectMap &map = m_objects[int(kind)];
    const auto it = map.find(ns.isEmpty() ? name : ns + '/' + name);
    if (it == map.end()) {
        return nullptr;
    }
    std::shared_ptr<SimObject> last = cloneObject(*it->second);
    WatchEvent event;
    event.previous = it->second;
    map.erase(it);
    last->resourceVersion = ++m_resourceVersion;
    event.resourceVersion = last->resourceVersion;
    event.type = WatchEvent::Type::Deleted;
    event.object = last;
    if (kind == Kind::Pod) {
        m_logs.remove(last->key());
    }
    record(std::move(event));
    return last;
}

void SimStore::seed(std::shared_ptr<SimObject> object)
{
    object->resourceVersion = ++m_resourceVersion;
    m_historyStart = m_resourceVersion;
    const QByteArray key = object->key();
    m_objects[int(object->kind)].insert_or_assign(key, std::move(object));
}

void SimStore::record(WatchEvent event)
{
    m_history.push_back(event);
    while (m_history.size() > m_historyLimit) {
        m_historyStart = m_history.front().resourceVersion;
        m_history.pop_front();
    }
    Q_EMIT eventRecorded(event);
}

void SimStore::setHistoryLimit(std::size_t limit)
{
    m_historyLimit = std::max<std::size_t>(limit, 1);
    while (m_history.size() > m_historyLimit) {
        m_historyStart = m_history.front().resourceVersion;
        m_history.pop_front();
    }
}

quint64 SimStore::oldestWatchableVersion() const
{
    return m_historyStart;
}

std::optional<std::vector<WatchEvent>> SimStore::eventsSince(quint64 resourceVersion) const
{
    if (resourceVersion < m_historyStart) {
        return std::nullopt;
    }
    std::vector<WatchEvent> events;
    // The ring is ordered by resourceVersion; find the first newer event from the back, since
    // watchers usually start close to the present.
    auto it = m_history.end();
    while (it != m_history.begin() && std::prev(it)->resourceVersion > resourceVersion) {
        --it;
    }
    events.assign(it, m_history.end());
    return events;
}

void SimStore::appendLog(const QByteArray &ns, const QByteArray &name, const QByteArray &line)
{
    const QByteArray key = ns + '/' + name;
    m_logs[key].append(line);
    Q_EMIT logAppended(key, line);
}

QByteArrayList SimStore::logLines(const QByteArray &ns, const QByteArray &name) const
{
    const QByteArray key = ns + '/' + name;
    const auto it = m_logs.constFind(key);
    if (it != m_logs.constEnd()) {
        return it.value();
    }
    // Seeded pods never ran anything; give them a short, stable log.
    const ObjectPtr object = find(Kind::Pod, ns, name);
    if (!object) {
        return {};
    }
    const SimPod &pod = asPod(*object);
    const QByteArray started = QDateTime::fromMSecsSinceEpoch(pod.startMs ? pod.startMs : pod.creationMs, Qt::UTC)
                                   .toString(Qt::ISODate)
                                   .toUtf8();
    const QByteArray image = pod.containers.empty() ? QByteArray("app") : pod.containers.front().image;
    return {
        started + " INFO starting " + name + " (image " + image + ")",
        started + " INFO listening on :8080",
        started + " INFO ready",
    };
}

void SimStore::dropLog(const QByteArray &ns, const QByteArray &name)
{
    m_logs.remove(ns + '/' + name);
}

QByteArray SimStore::newUid()
{
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    const QByteArray hex = QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
    return hex.mid(0, 8) + '-' + hex.mid(8, 4) + "-4" + hex.mid(13, 3) + "-a" + hex.mid(17, 3) + '-' + hex.mid(20, 12);
}

namespace {
// Set once at start-up, before the server accepts anything; read from the rig's threads too.
std::atomic<qint64> g_clockSkewMs {0};
} // namespace

qint64 SimStore::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch() + g_clockSkewMs.load(std::memory_order_relaxed);
}

void SimStore::setClockSkewMs(qint64 skewMs)
{
    g_clockSkewMs.store(skewMs, std::memory_order_relaxed);
}

} // namespace podtap::sim
