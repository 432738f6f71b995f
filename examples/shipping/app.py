"""Shipping, an external module of Cleave written in Python (Flask, pika, sqlite3).

It implements src/modules/shipping/contract.ts: POST /shipments and GET /shipments/<orderId>,
with the contract's problem+json codes, and publishes order.shipped as a CloudEvent on Cleave's
RabbitMQ exchange. A shipment and its event are written in one SQLite transaction (an outbox);
a publisher thread sends pending events with publisher confirms and marks them sent only once
confirmed, so a broker outage delays events and never loses them.

Settings (environment): PORT (3100), HOST (127.0.0.1), SHIPPING_DB (./shipping.sqlite),
AMQP_URL (unset: events stay in the outbox), AMQP_EXCHANGE (cleave.events).
"""
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import pika
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

MAX_SAFE_INTEGER = 2 ** 53 - 1
TRACEPARENT = re.compile(r'^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$')

log = logging.getLogger('shipping')
app = Flask(__name__)
database_path = os.environ.get('SHIPPING_DB', './shipping.sqlite')
wake_publisher = threading.Event()


@contextmanager
def connect():
    # Autocommit: transactions are taken by hand (begin immediate) where two writes go together.
    connection = sqlite3.connect(database_path, isolation_level=None, timeout=10)
    connection.row_factory = sqlite3.Row
    try:
        yield connection
    finally:
        connection.close()


def migrate():
    with connect() as db:
        db.execute('pragma journal_mode = wal')
        db.execute('''create table if not exists shipments (
            order_id integer primary key, user_id integer not null, carrier text not null,
            tracking_code text not null, shipped_at text not null)''')
        db.execute('''create table if not exists outbox (
            id text primary key, body text not null, created_at text not null, sent_at text)''')


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def problem(status, title, code, detail, errors=None):
    body = {
        'type': 'urn:cleave:problem:' + code.lower().replace('_', '-'),
        'title': title,
        'status': status,
        'code': code,
        'detail': detail,
        'instance': request.full_path.rstrip('?'),
    }
    if errors:
        body['errors'] = errors
    return Response(json.dumps(body), status=status, mimetype='application/problem+json')


def invalid(errors):
    detail = '; '.join(f"{error['in']}{error['field']} {error['message']}" for error in errors)
    return problem(400, 'Bad Request', 'CLV_VALIDATION', detail, errors)


def is_integer(value, minimum, maximum=MAX_SAFE_INTEGER):
    # JSON true is not 1: bool is an int in Python, never in the contract.
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def query_errors():
    # The contract's routes take no query string: a parameter is refused, not ignored.
    return [{'in': 'querystring', 'field': f'/{name}', 'message': 'must NOT have additional properties'} for name in request.args]


def shipment_of(row):
    return {'orderId': row['order_id'], 'userId': row['user_id'], 'carrier': row['carrier'],
            'trackingCode': row['tracking_code'], 'shippedAt': row['shipped_at']}


def child_traceparent():
    """The caller's trace continued with a span of this service, for the event's handlers."""
    match = TRACEPARENT.match(request.headers.get('traceparent', ''))
    if not match:
        return None
    return f'00-{match.group(1)}-{secrets.token_hex(8)}-{match.group(3)}'


@app.post('/shipments')
def ship_order():
    if request.mimetype != 'application/json':
        return problem(415, 'Unsupported Media Type', 'CLV_UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json')
    try:
        body = json.loads(request.get_data(as_text=True))
    except ValueError as error:
        return problem(400, 'Bad Request', 'CLV_INVALID_JSON', f'The body is not valid JSON: {error}')
    errors = query_errors()
    if not isinstance(body, dict):
        return invalid(errors + [{'in': 'body', 'field': '/', 'message': 'must be object'}])
    for name in ('orderId', 'userId', 'carrier'):
        if name not in body:
            errors.append({'in': 'body', 'field': f'/{name}', 'message': f"must have required property '{name}'"})
    for name in body:
        if name not in ('orderId', 'userId', 'carrier'):
            errors.append({'in': 'body', 'field': f'/{name}', 'message': 'must NOT have additional properties'})
    for name in ('orderId', 'userId'):
        if name in body and not is_integer(body[name], 1):
            errors.append({'in': 'body', 'field': f'/{name}', 'message': f'must be an integer from 1 to {MAX_SAFE_INTEGER}'})
    carrier = body.get('carrier')
    if 'carrier' in body and not (isinstance(carrier, str) and 1 <= len(carrier) <= 50):
        errors.append({'in': 'body', 'field': '/carrier', 'message': 'must be a string of 1 to 50 characters'})
    if errors:
        return invalid(errors[:10])

    shipment = {'orderId': body['orderId'], 'userId': body['userId'], 'carrier': carrier,
                'trackingCode': secrets.token_hex(5).upper(), 'shippedAt': now_iso()}
    event = {'specversion': '1.0', 'id': str(uuid.uuid4()), 'source': 'shipping', 'type': 'order.shipped',
             'time': shipment['shippedAt'], 'datacontenttype': 'application/json',
             'data': {key: shipment[key] for key in ('orderId', 'userId', 'carrier', 'trackingCode')}}
    traceparent = child_traceparent()
    if traceparent:
        event['traceparent'] = traceparent
    with connect() as db:
        try:
            db.execute('begin immediate')
            db.execute('insert into shipments values (?, ?, ?, ?, ?)', (shipment['orderId'], shipment['userId'], carrier, shipment['trackingCode'], shipment['shippedAt']))
            db.execute('insert into outbox (id, body, created_at) values (?, ?, ?)', (event['id'], json.dumps(event), shipment['shippedAt']))
            db.execute('commit')
        except sqlite3.IntegrityError:
            db.execute('rollback')
            return problem(409, 'Conflict', 'CLV_SHIPPING_ALREADY_SHIPPED', f"Order {body['orderId']} is already shipped")
    wake_publisher.set()
    response = Response(json.dumps(shipment), status=201, mimetype='application/json')
    response.headers['Location'] = f"/shipments/{shipment['orderId']}"
    return response


@app.get('/shipments/<order_id>')
def get_shipment(order_id):
    errors = query_errors()
    valid = re.fullmatch(r'[0-9]{1,16}', order_id) and is_integer(int(order_id), 1)
    if not valid:
        errors.append({'in': 'params', 'field': '/orderId', 'message': f'must be an integer from 1 to {MAX_SAFE_INTEGER}'})
    if errors:
        return invalid(errors)
    with connect() as db:
        row = db.execute('select * from shipments where order_id = ?', (int(order_id),)).fetchone()
    if row is None:
        return problem(404, 'Not Found', 'CLV_SHIPPING_NOT_FOUND', f'No shipment for order {int(order_id)}')
    return Response(json.dumps(shipment_of(row)), status=200, mimetype='application/json')


@app.errorhandler(404)
def route_not_found(_error):
    return problem(404, 'Not Found', 'CLV_ROUTE_NOT_FOUND', f'No route {request.method} {request.path}')


@app.errorhandler(HTTPException)
def http_error(error):
    return problem(error.code, error.name, f'CLV_HTTP_{error.code}', error.description)


@app.errorhandler(Exception)
def unexpected(error):
    log.error('unexpected error: %s', error)
    return problem(500, 'Internal Server Error', 'CLV_INTERNAL', 'An unexpected error occurred')


def publish_pending(channel, exchange):
    """Sends every unsent outbox row, oldest first; each marked sent once the broker confirmed it."""
    with connect() as db:
        rows = db.execute('select id, body from outbox where sent_at is null order by created_at limit 200').fetchall()
        for row in rows:
            # With confirm_delivery, basic_publish returns once the broker acknowledged the message
            # and raises if it refused it.
            channel.basic_publish(
                exchange=exchange, routing_key='order.shipped', body=row['body'].encode('utf-8'),
                properties=pika.BasicProperties(content_type='application/cloudevents+json', delivery_mode=2, message_id=row['id']))
            db.execute('update outbox set sent_at = ? where id = ?', (now_iso(), row['id']))
    return len(rows)


def publisher(url, exchange):
    """One thread owns the RabbitMQ connection (pika's BlockingConnection is not thread-safe)."""
    delay = 0.25
    while True:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(url))
            channel = connection.channel()
            channel.exchange_declare(exchange=exchange, exchange_type='topic', durable=True)
            channel.confirm_delivery()
            log.info('RabbitMQ: connected; publishing to %s', exchange)
            delay = 0.25
            while True:
                if publish_pending(channel, exchange) == 0:
                    wake_publisher.wait(timeout=1)
                    wake_publisher.clear()
                connection.process_data_events(0)
        except pika.exceptions.AMQPError as error:
            # The URL may hold a password: the error's class is enough.
            log.warning('RabbitMQ: %s; events wait in the outbox, retrying in %.2f s', type(error).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, 5)


def main():
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(name)s %(levelname)s %(message)s')
    # pika logs each connection step at info, the broker's address included.
    logging.getLogger('pika').setLevel(logging.WARNING)
    migrate()
    url = os.environ.get('AMQP_URL')
    if url:
        threading.Thread(target=publisher, args=(url, os.environ.get('AMQP_EXCHANGE', 'cleave.events')), daemon=True).start()
    else:
        log.warning('AMQP_URL is not set: order.shipped events stay in the outbox')
    app.run(host=os.environ.get('HOST', '127.0.0.1'), port=int(os.environ.get('PORT', '3100')), threaded=True)


if __name__ == '__main__':
    main()
