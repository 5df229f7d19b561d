// The card page: Stripe.js collects the card (the number never reaches our server) and gives a
// payment method id, which the form posts; the server charges it. When the bank asks for 3-D
// Secure, the page comes back with the intent's client secret and Stripe.js runs the check,
// then the return form tells the server to look at the result. Every rule is on the server.
(() => {
  const form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.stripeKey);
  const returnForm = document.getElementById("return-form");

  if (form.dataset.clientSecret) {
    // Whatever the bank answered, the server asks the gateway for the result.
    stripe.confirmCardPayment(form.dataset.clientSecret).then(() => returnForm.submit());
    return;
  }

  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const button = form.querySelector("button[type=submit]");
  const errors = document.getElementById("card-errors");
  let sending = false;

  // Stripe.js makes a PaymentMethod; localstripe's stand-in cannot (its createPaymentMethod
  // returns nothing) but tokenises the card, whose card id the PaymentIntents API also takes.
  const paymentMethodId = async () => {
    const created = await stripe.createPaymentMethod({ type: "card", card });
    if (created && created.paymentMethod) return { id: created.paymentMethod.id };
    if (created && created.error) return { error: created.error.message };
    const tokenised = await stripe.createToken(card);
    if (tokenised && tokenised.token) return { id: tokenised.token.card.id };
    return { error: (tokenised && tokenised.error && tokenised.error.message) || form.dataset.errorText };
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return; // a double click sends one payment
    sending = true;
    button.disabled = true;
    errors.textContent = "";
    const result = await paymentMethodId().catch(() => ({ error: form.dataset.errorText }));
    if (!result.id) {
      errors.textContent = result.error || form.dataset.errorText;
      sending = false;
      button.disabled = false;
      return;
    }
    form.elements.payment_method.value = result.id;
    form.submit();
  });
})();
