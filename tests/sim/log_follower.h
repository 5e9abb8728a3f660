// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>
#include <QPointer>

namespace podtap::sim {

class HttpConnection;
class SimStore;
struct WatchEvent;

/// @brief A `pods/log?follow=true` stream: sends each appended line until the pod is deleted.
class LogFollower final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogFollower)

public:
    LogFollower(HttpConnection *connection, SimStore *store, const QByteArray &podKey, bool timestamps,
        QObject *parent = nullptr);

private:
    void finish();

    QPointer<HttpConnection> m_connection;
    QByteArray m_podKey;
    bool m_timestamps;
    bool m_finished = false;
};

} // namespace podtap::sim
