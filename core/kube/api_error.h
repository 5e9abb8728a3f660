// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace podtap::kube {

/// @brief One `details.causes[]` entry of a Kubernetes Status: which field was refused and why.
struct ApiErrorCause
{
    QString reason;
    QString message;
    QString field;
};

/// @brief A failed API call: a Kubernetes Status error, or a transport (network/TLS) failure.
///
/// Status errors keep the server's words (reason, message, causes); transport errors name the
/// server, the reason and what to do about it. Either way message() is ready to show a person.
struct ApiError
{
    enum class Kind {
        None, ///< no error
        Status, ///< the server answered with a Status (or a non-2xx without one)
        Network, ///< connection refused, DNS, timeout, dropped connection
        Tls, ///< certificate or handshake failure
        Config, ///< the client could not even build the request (bad key, missing credential)
    };

    Kind kind = Kind::None;
    int httpStatus = 0; ///< 0 for transport errors
    QString reason; ///< Status.reason: NotFound, AlreadyExists, Forbidden, Expired, Conflict, Invalid, ...
    QString message; ///< Status.message, or a transport error explained with its fix
    QString detailsName;
    QString detailsGroup;
    QString detailsKind;
    QList<ApiErrorCause> causes;
    int retryAfterSeconds = 0;

    bool isError() const { return kind != Kind::None; }
    bool isNotFound() const { return reason == QLatin1String("NotFound") || httpStatus == 404; }
    bool isAlreadyExists() const { return reason == QLatin1String("AlreadyExists"); }
    bool isForbidden() const { return reason == QLatin1String("Forbidden") || httpStatus == 403; }
    bool isUnauthorized() const { return httpStatus == 401; }
    bool isConflict() const { return reason == QLatin1String("Conflict") || httpStatus == 409; }
    /// 410 Gone / reason Expired: a list continue token or a watch resourceVersion is too old.
    bool isExpired() const
    {
        return httpStatus == 410 || reason == QLatin1String("Expired") || reason == QLatin1String("Gone");
    }
    bool isTransport() const { return kind == Kind::Network || kind == Kind::Tls; }

    /// A one-line text for a person: the message, plus the causes when they add something.
    QString toString() const;

    /// Parses a `{"kind":"Status",...}` body. When the body is not a Status (an HTML proxy page,
    /// empty), the error still carries @p httpStatus and a message built from the reason phrase.
    static ApiError fromStatus(int httpStatus, const QByteArray &body, const QString &operation = {});
    /// Same, from an already parsed Status object (a watch ERROR event carries one).
    static ApiError fromStatusObject(int httpStatus, const QJsonObject &status);
};

} // namespace podtap::kube

Q_DECLARE_METATYPE(podtap::kube::ApiError)
