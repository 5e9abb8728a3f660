// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "object_selector.h"
#include "object_writer.h"
#include "sim_store.h"

#include <QObject>
#include <QPointer>

class QTimer;

namespace podtap::sim {

class HttpConnection;

/// @brief One open watch: newline-delimited JSON events (or Table rows) for a kind, filtered by
/// namespace and selectors, with bookmarks, timeouts and the sim's fault injection.
class WatchStream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WatchStream)

public:
    struct Options
    {
        Kind kind = Kind::Pod;
        QByteArray ns;
        ObjectSelector selector;
        bool table = false;
        ObjectWriter::TableObject tableObject = ObjectWriter::TableObject::Metadata;
        bool bookmarks = false;
        int bookmarkIntervalMs = 5000;
        int timeoutSeconds = 0;
        int dropAfterMs = 0; // 0: never drop
        quint64 expireAfter = 0; // 0: never expire
        int closeAfterMs = -1; // end cleanly after this long (0: right after the replay); -1: never
        int errorCode = 0; // send one ERROR event with this code after the replay, then end; 0: none
        bool stall = false; // send nothing after the headers, and ignore timeoutSeconds
    };

    /// Takes over @p connection's response; replays @p initial, then follows the store.
    WatchStream(HttpConnection *connection, SimStore *store, Options options, quint64 startVersion,
        const std::vector<WatchEvent> &initial, QObject *parent = nullptr);
    ~WatchStream() override;

    void sendBookmark();
    /// Ends the stream cleanly (the server's timeout, or a fault).
    void finish();

private:
    void onEvent(const WatchEvent &event);
    void send(const char *type, const SimObject &object);
    void sendError(int code, const QByteArray &message);
    bool selected(const ObjectPtr &object) const;

    QPointer<HttpConnection> m_connection;
    SimStore *m_store;
    Options m_options;
    quint64 m_startVersion;
    quint64 m_lastVersion;
    bool m_finished = false;
};

} // namespace podtap::sim
