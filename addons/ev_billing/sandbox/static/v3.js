// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.
//
// Stand-in for https://js.stripe.com/v3/ talking to the sandbox acquirer.
// It covers what Tryton's checkout page uses: Stripe(pk), elements(),
// create('payment').mount(), confirmPayment() and confirmSetup().
(function() {
    'use strict';
    var BASE = __SANDBOX_URL__;
    var QUICK_PICKS = __QUICK_PICKS__;
    var ru = /^ru/i.test(navigator.language || '');
    var T = ru ? {
        number: 'Номер карты', expiry: 'Срок действия (ММ/ГГ)',
        cvc: 'CVC', saved: 'Сохранённые карты', newCard: 'Новая карта',
        quick: 'Тестовые карты', sandbox: 'Тестовый режим: деньги не '
            + 'списываются.',
        incomplete: 'Номер карты не заполнен.',
        network: 'Нет связи с тестовым эквайером.'
    } : {
        number: 'Card number', expiry: 'Expiration (MM/YY)', cvc: 'CVC',
        saved: 'Saved cards', newCard: 'New card', quick: 'Test cards',
        sandbox: 'Sandbox mode: no money moves.',
        incomplete: 'Your card number is incomplete.',
        network: 'Could not reach the sandbox acquirer.'
    };

    function el(tag, attrs, children) {
        var node = document.createElement(tag);
        Object.keys(attrs || {}).forEach(function(key) {
            if (key === 'text') {
                node.textContent = attrs[key];
            } else {
                node.setAttribute(key, attrs[key]);
            }
        });
        (children || []).forEach(function(child) {
            node.appendChild(child);
        });
        return node;
    }

    function form(data, prefix, out) {
        out = out || new URLSearchParams();
        Object.keys(data).forEach(function(key) {
            var value = data[key];
            var name = prefix ? prefix + '[' + key + ']' : key;
            if (value === undefined || value === null) {
                return;
            }
            if (typeof value === 'object') {
                form(value, name, out);
            } else {
                out.append(name, String(value));
            }
        });
        return out;
    }

    function api(method, path, data) {
        var body = form(data);
        var url = BASE + path;
        var init = {method: method};
        if (method === 'GET') {
            url += '?' + body.toString();
        } else {
            init.body = body;
            init.headers = {
                'Content-Type': 'application/x-www-form-urlencoded'};
        }
        return fetch(url, init).then(function(response) {
            return response.json();
        }, function() {
            return {error: {type: 'api_connection_error',
                message: T.network}};
        });
    }

    function intentId(clientSecret) {
        return clientSecret.split('_secret_')[0];
    }

    function PaymentElement(elements) {
        this.elements = elements;
        this.container = null;
        this.savedMethod = null;
    }
    PaymentElement.prototype.mount = function(target) {
        var self = this;
        var root = typeof target === 'string'
            ? document.querySelector(target) : target;
        var number = el('input', {id: 'sandbox-card-number',
            name: 'cardnumber', inputmode: 'numeric',
            autocomplete: 'cc-number', placeholder: '4242 4242 4242 4242'});
        var expiry = el('input', {id: 'sandbox-card-expiry',
            name: 'exp-date', autocomplete: 'cc-exp',
            placeholder: 'MM/YY'});
        var cvc = el('input', {id: 'sandbox-card-cvc', name: 'cvc',
            inputmode: 'numeric', autocomplete: 'cc-csc',
            placeholder: '123'});
        var picks = el('div', {'class': 'sandbox-quick-picks'}, [
            el('span', {text: T.quick + ': '})]);
        QUICK_PICKS.forEach(function(pick) {
            var button = el('button', {type: 'button',
                'data-number': pick[0], text: pick[1]});
            button.addEventListener('click', function() {
                number.value = pick[0];
                var next = new Date();
                expiry.value = ('0' + (next.getMonth() + 1)).slice(-2)
                    + '/' + String(next.getFullYear() + 1).slice(-2);
                cvc.value = '123';
                self.savedMethod = null;
                Array.prototype.forEach.call(
                    root.querySelectorAll('input[name=sandbox-saved]'),
                    function(radio) {
                        radio.checked = radio.value === '';
                    });
            });
            picks.appendChild(button);
        });
        var saved = el('div', {'class': 'sandbox-saved'});
        this.container = el('div', {'class': 'sandbox-payment-element'}, [
            el('p', {'class': 'sandbox-note', text: T.sandbox}),
            saved,
            el('label', {'for': 'sandbox-card-number', text: T.number}),
            number,
            el('label', {'for': 'sandbox-card-expiry', text: T.expiry}),
            expiry,
            el('label', {'for': 'sandbox-card-cvc', text: T.cvc}),
            cvc,
            picks]);
        this.number = number;
        this.expiry = expiry;
        this.cvc = cvc;
        root.appendChild(this.container);
        var sessionSecret = this.elements.options
            .customerSessionClientSecret;
        if (sessionSecret) {
            api('GET', '/v1/sandbox/session_payment_methods', {
                key: this.elements.stripe.key,
                customer_session_client_secret: sessionSecret
            }).then(function(result) {
                if (!result.data || !result.data.length) {
                    return;
                }
                saved.appendChild(el('p', {text: T.saved}));
                result.data.concat([null]).forEach(function(pm) {
                    var radio = el('input', {type: 'radio',
                        name: 'sandbox-saved', value: pm ? pm.id : ''});
                    radio.addEventListener('change', function() {
                        self.savedMethod = pm ? pm.id : null;
                    });
                    saved.appendChild(el('label', {}, [radio,
                        document.createTextNode(pm
                            ? ' ' + pm.card.brand + ' •••• '
                                + pm.card.last4 + ' ' + pm.card.exp_month
                                + '/' + pm.card.exp_year
                            : ' ' + T.newCard)]));
                });
            });
        }
        return this;
    };
    PaymentElement.prototype.on = function() {
        return this;
    };
    PaymentElement.prototype.unmount = function() {
        if (this.container && this.container.parentNode) {
            this.container.parentNode.removeChild(this.container);
        }
    };
    PaymentElement.prototype.destroy = PaymentElement.prototype.unmount;
    PaymentElement.prototype.paymentData = function() {
        if (this.savedMethod) {
            return {payment_method: this.savedMethod};
        }
        var digits = this.number.value.replace(/\D/g, '');
        if (!digits) {
            return null;
        }
        var parts = this.expiry.value.split('/');
        return {payment_method_data: {type: 'card', card: {
            number: digits,
            exp_month: (parts[0] || '').trim() || undefined,
            exp_year: (parts[1] || '').trim() || undefined,
            cvc: this.cvc.value || undefined}}};
    };

    function Elements(stripe, options) {
        this.stripe = stripe;
        this.options = options || {};
        this.element = null;
    }
    Elements.prototype.create = function(type) {
        this.element = new PaymentElement(this);
        return this.element;
    };
    Elements.prototype.getElement = function() {
        return this.element;
    };
    Elements.prototype.submit = function() {
        return Promise.resolve({});
    };

    function returnTo(url, kind, intent, status) {
        var separator = url.indexOf('?') >= 0 ? '&' : '?';
        window.location.assign(url + separator
            + kind + '=' + encodeURIComponent(intent.id) + '&'
            + kind + '_client_secret='
            + encodeURIComponent(intent.client_secret)
            + '&redirect_status=' + status);
    }

    function confirm(stripe, kind, options) {
        options = options || {};
        var elements = options.elements;
        var clientSecret = options.clientSecret
            || (elements && elements.options.clientSecret);
        var params = options.confirmParams || {};
        var data = elements && elements.element
            ? elements.element.paymentData() : {};
        if (data === null) {
            return Promise.resolve({error: {type: 'validation_error',
                code: 'incomplete_number', message: T.incomplete}});
        }
        data.key = stripe.key;
        data.client_secret = clientSecret;
        if (params.return_url) {
            data.return_url = params.return_url;
        }
        if (params.payment_method) {
            data.payment_method = params.payment_method;
        }
        var path = '/v1/' + kind + 's/' + intentId(clientSecret)
            + '/confirm';
        return api('POST', path, data).then(function(result) {
            if (result.error) {
                return {error: result.error};
            }
            var result_ = {};
            result_[kind === 'payment_intent'
                ? 'paymentIntent' : 'setupIntent'] = result;
            if (result.status === 'requires_action' && result.next_action
                    && result.next_action.redirect_to_url) {
                window.location.assign(result.next_action.redirect_to_url.url);
                return result_;
            }
            if (options.redirect === 'if_required' || !params.return_url) {
                return result_;
            }
            returnTo(params.return_url, kind, result, 'succeeded');
            return result_;
        });
    }

    function retrieve(stripe, kind, clientSecret) {
        return api('GET', '/v1/' + kind + 's/' + intentId(clientSecret), {
            key: stripe.key, client_secret: clientSecret
        }).then(function(result) {
            if (result.error) {
                return {error: result.error};
            }
            var out = {};
            out[kind === 'payment_intent'
                ? 'paymentIntent' : 'setupIntent'] = result;
            return out;
        });
    }

    function Stripe(key, options) {
        if (!(this instanceof Stripe)) {
            return new Stripe(key, options);
        }
        if (!/^pk_sandbox_/.test(key || '')) {
            throw new Error('The sandbox needs a pk_sandbox_ key.');
        }
        this.key = key;
        this.sandbox = BASE;
    }
    Stripe.prototype.elements = function(options) {
        return new Elements(this, options);
    };
    Stripe.prototype.confirmPayment = function(options) {
        return confirm(this, 'payment_intent', options);
    };
    Stripe.prototype.confirmSetup = function(options) {
        return confirm(this, 'setup_intent', options);
    };
    Stripe.prototype.confirmCardPayment = function(clientSecret, data) {
        return confirm(this, 'payment_intent', {clientSecret: clientSecret,
            confirmParams: data || {}, redirect: 'if_required'});
    };
    Stripe.prototype.retrievePaymentIntent = function(clientSecret) {
        return retrieve(this, 'payment_intent', clientSecret);
    };
    Stripe.prototype.retrieveSetupIntent = function(clientSecret) {
        return retrieve(this, 'setup_intent', clientSecret);
    };
    window.Stripe = Stripe;
})();
