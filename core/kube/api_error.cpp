// SPDX-License-Identifier: Apache-2.0
#include "api_error.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

namespace podtap::kube {

namespace {

QString reasonForHttpStatus(int httpStatus)
{
    switch (httpStatus) {
    case 400:
        return QStringLiteral("BadRequest");
    case 401:
        return QStringLiteral("Unauthorized");
    case 403:
        return QStringLiteral("Forbidden");
    case 404:
        return QStringLiteral("NotFound");
    case 405:
        return QStringLiteral("MethodNotAllowed");
    case 406:
        return QStringLiteral("NotAcceptable");
    case 409:
        return QStringLiteral("Conflict");
    case 410:
        return QStringLiteral("Expired");
    case 415:
        return QStringLiteral("UnsupportedMediaType");
    case 422:
        return QStringLiteral("Invalid");
    case 429:
        return QStringLiteral("TooManyRequests");
    case 500:
        return QStringLiteral("InternalError");
    case 503:
        return QStringLiteral("ServiceUnavailable");
    case 504:
        return QStringLiteral("Timeout");
    default:
        return {};
    }
}

} // namespace

QString ApiError::toString() const
{
    QString text = message;
    if (text.isEmpty()) {
        text = reason.isEmpty() ? QStringLiteral("HTTP %1").arg(httpStatus) : reason;
    }
    QStringList extra;
    for (const auto &cause : causes) {
        const QString piece =
            cause.field.isEmpty() ? cause.message : cause.field + QStringLiteral(": ") + cause.message;
        if (!piece.isEmpty() && !text.contains(piece)) {
            extra << piece;
        }
    }
    if (!extra.isEmpty()) {
        text += QStringLiteral(" (") + extra.join(QStringLiteral("; ")) + QLatin1Char(')');
    }
    return text;
}

ApiError ApiError::fromStatusObject(int httpStatus, const QJsonObject &status)
{
    ApiError error;
    error.kind = Kind::Status;
    const int code = status.value(QLatin1String("code")).toInt(0);
    error.httpStatus = httpStatus != 0 ? httpStatus : code;
    error.reason = status.value(QLatin1String("reason")).toString();
    if (error.reason.isEmpty()) {
        error.reason = reasonForHttpStatus(error.httpStatus);
    }
    error.message = status.value(QLatin1String("message")).toString();
    const QJsonObject details = status.value(QLatin1String("details")).toObject();
    error.detailsName = details.value(QLatin1String("name")).toString();
    error.detailsGroup = details.value(QLatin1String("group")).toString();
    error.detailsKind = details.value(QLatin1String("kind")).toString();
    error.retryAfterSeconds = details.value(QLatin1String("retryAfterSeconds")).toInt(0);
    const QJsonArray causes = details.value(QLatin1String("causes")).toArray();
    for (const QJsonValue &value : causes) {
        const QJsonObject cause = value.toObject();
        error.causes.append({cause.value(QLatin1String("reason")).toString(),
            cause.value(QLatin1String("message")).toString(), cause.value(QLatin1String("field")).toString()});
    }
    return error;
}

ApiError ApiError::fromStatus(int httpStatus, const QByteArray &body, const QString &operation)
{
    QJsonParseError parseError {};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error == QJsonParseError::NoError && doc.isObject() &&
        doc.object().value(QLatin1String("kind")).toString() == QLatin1String("Status")) {
        ApiError error = fromStatusObject(httpStatus, doc.object());
        if (error.message.isEmpty()) {
            error.message = operation.isEmpty() ? error.reason : operation + QStringLiteral(": ") + error.reason;
        }
        return error;
    }
    ApiError error;
    error.kind = Kind::Status;
    error.httpStatus = httpStatus;
    error.reason = reasonForHttpStatus(httpStatus);
    // A proxy or load balancer answered instead of the API server: show a little of what it said.
    QString snippet = QString::fromUtf8(body.left(200)).simplified();
    error.message =
        QStringLiteral("%1 failed with HTTP %2%3%4")
            .arg(operation.isEmpty() ? QStringLiteral("request") : operation)
            .arg(httpStatus)
            .arg(error.reason.isEmpty() ? QString() : QStringLiteral(" (") + error.reason + QLatin1Char(')'))
            .arg(snippet.isEmpty() ? QString() : QStringLiteral(": ") + snippet);
    return error;
}

} // namespace podtap::kube
