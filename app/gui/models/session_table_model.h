// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "session_handle.h"

#include <QAbstractItemModel>
#include <QList>
#include <QPointer>
#include <QTimer>

namespace podtap::gui {

/// @brief The Sessions panel's rows: one per tap, with its state, counters and elapsed time, and under a tap of
/// several pods one child row per pod with its own state and counts.
///
/// Rows update from their SessionHandle's changed() signal, one dataChanged per row; child rows from its
/// membersChanged() (rows are inserted as pods join). The elapsed column of active rows ticks once a second.
class SessionTableModel final : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionTableModel)

public:
    enum Column {
        StateColumn,
        TargetColumn,
        DestinationColumn,
        PacketsColumn,
        BytesColumn,
        DropsColumn,
        ElapsedColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, ///< raw value: counts as numbers, elapsed in seconds
        StateRole, ///< int(SessionHandle::State)
        ActiveRole, ///< bool
    };

    explicit SessionTableModel(QObject *parent = nullptr);
    ~SessionTableModel() override;

    /// Adds a row for @p session; the model takes ownership of it.
    void addSession(SessionHandle *session);
    /// Drops the rows of sessions that are no longer active.
    void removeFinished();
    /// The session of top-level row @p row.
    SessionHandle *sessionAt(int row) const;
    /// The session a row belongs to: its own for a session row, its parent's for a pod's child row.
    SessionHandle *sessionOf(const QModelIndex &index) const;
    /// The pod a child row shows; null for a session row.
    const SessionHandle::Member *memberAt(const QModelIndex &index) const;
    int rowOf(const SessionHandle *session) const;
    QList<SessionHandle *> sessions() const;
    int activeCount() const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void activeCountChanged(int active);

private:
    struct Row
    {
        QPointer<SessionHandle> session;
        int memberRows = 0; ///< the child rows the views know of (members() may already hold more)
    };

    void onSessionChanged(SessionHandle *session);
    void onMembersChanged(SessionHandle *session);
    QVariant sessionData(const SessionHandle &session, int column, int role) const;
    QVariant memberData(const SessionHandle::Member &member, int column, int role) const;
    void tick();

    QList<Row> m_sessions;
    QTimer m_ticker;
    int m_lastActive = 0;
};

/// "1.2 MB", "512 B".
QString formatBytes(qint64 bytes);

} // namespace podtap::gui
