"""Everything the agent says, per language; "sms:" entries are the shorter written variants."""

from __future__ import annotations

from app.agent.languages import supported

_EN = {
    "hi": "Hi {name},",
    "hi_there": "Hi there,",
    "greet": "{hi} you left {cart} in your cart at {store}.",
    "q_help": "Would you like some help finishing your order?",
    "q_link": "Shall I text you a secure link to your cart?",
    "q_discount": "Shall I text you the code?",
    "q_discount_read": "Would you like me to read you the code?",
    "q_transfer": "Shall I connect you now?",
    "q_when": "When would suit you?",
    "q_anything": "Is there anything else I can help with?",
    "q_what": "Sure, what can I help you with?",
    "link_sent": "Done, I've just texted you the link.",
    "link_already": "I've already texted you the link.",
    "finish_from_email": "You can finish your order any time from the email {store} sent you.",
    "price_empathy": "I understand, price matters.",
    "shipping_empathy": "I understand, shipping costs add up.",
    "discount_offer": "I can offer you {percent}% off your order with a one-time code.",
    "discount_sent": (
        "Great, I've texted you a one-time code for {percent}% off. It's valid for a limited time."
    ),
    "discount_read": "Great, here is your one-time code for {percent}% off. It's valid for a limited time.",
    "discount_already": "You already have your one-time code for {percent}% off.",
    "link_instead": "I can text you a secure link so you can finish whenever suits you.",
    "payment_empathy": "Sorry you had trouble paying. You can try again with a secure link.",
    "product_question": "Someone from {store} can best answer that.",
    "opted_out": "Understood, you won't be contacted again. Goodbye.",
    "wrong_number": "Sorry to have bothered you. Goodbye.",
    "already_bought": "Thank you for your order, and sorry to have bothered you. Goodbye.",
    "transferring": "Connecting you with someone from {store} now.",
    "team_unavailable": "Our team isn't available right now. Can we call you back?",
    "sms:team_unavailable": "A person from {store} can call you back.",
    "no_person": "I'm sorry, I can't connect you with a person.",
    "callback_confirmed": "Great, we'll call you back {when}. Goodbye.",
    "sms:callback_confirmed": "Great, we'll call you {when}.",
    "ask_when": "No problem. When would be a better time?",
    "robot": "Yes, I'm an automated AI assistant calling on behalf of {store}.",
    "sms:robot": "Yes, I'm an automated AI assistant writing on behalf of {store}.",
    "who": "This is an automated AI assistant for {store}, calling about the items left in your cart.",
    "sms:who": "This is an automated AI assistant for {store}, about the items left in your cart.",
    "reprompt": "Sorry, I didn't catch that.",
    "goodbye_declined": "No problem. Thanks for your time, goodbye.",
    "goodbye_completed": "Thanks, have a great day. Goodbye.",
    "goodbye_no_response": "Sorry, I can't hear you, so I'll let you go. Goodbye.",
    "sms:goodbye_no_response": "Sorry, I didn't understand. Thanks for your time.",
    "goodbye_max_turns": "I'll let you go now. Thanks for your time, goodbye.",
    "and": "and",
    "more_items_1": "1 more item",
    "more_items": "{count} more items",
    "some_items": "some items",
    "cart_with_total": "{items}, {total} in total,",
    "today": "today",
    "tomorrow": "tomorrow",
    "on_weekday": "on {weekday}",
    "on_date": "on {month} {day}",
    "weekdays": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "months": "January February March April May June July August September October November December",
    "opening": (
        "Hello, this is an automated AI assistant calling on behalf of {store} about your shopping cart."
    ),
    "recorded": "This call may be recorded.",
    "opt_out_how": "Say stop or press 9 at any time to opt out.",
    "voicemail": (
        "Hello, this is an automated AI assistant calling on behalf of {store} about your recent visit. "
        "We'll try again another time. To stop these calls, call this number back and press 9. Goodbye."
    ),
}

_ES = {
    "hi": "Hola {name},",
    "hi_there": "Hola,",
    "greet": "{hi} dejó {cart} en su carrito de {store}.",
    "q_help": "¿Le gustaría que le ayude a terminar su pedido?",
    "q_link": "¿Le envío por mensaje un enlace seguro a su carrito?",
    "q_discount": "¿Le envío el código por mensaje?",
    "q_discount_read": "¿Quiere que le lea el código?",
    "q_transfer": "¿Le comunico ahora?",
    "q_when": "¿Cuándo le viene bien?",
    "q_anything": "¿Puedo ayudarle en algo más?",
    "q_what": "Claro, ¿en qué puedo ayudarle?",
    "link_sent": "Listo, acabo de enviarle el enlace por mensaje.",
    "link_already": "Ya le envié el enlace por mensaje.",
    "finish_from_email": "Puede terminar su pedido cuando quiera desde el correo que le envió {store}.",
    "price_empathy": "Lo entiendo, el precio importa.",
    "shipping_empathy": "Lo entiendo, los gastos de envío suman.",
    "discount_offer": "Puedo ofrecerle un {percent}% de descuento con un código de un solo uso.",
    "discount_sent": (
        "Perfecto, le envié por mensaje un código de un solo uso con un {percent}% de descuento. "
        "Es válido por tiempo limitado."
    ),
    "discount_read": (
        "Perfecto, aquí tiene su código de un solo uso con un {percent}% de descuento. "
        "Es válido por tiempo limitado."
    ),
    "discount_already": "Ya tiene su código de un solo uso con un {percent}% de descuento.",
    "link_instead": "Puedo enviarle un enlace seguro para que termine cuando le convenga.",
    "payment_empathy": (
        "Siento que haya tenido problemas con el pago. Puede intentarlo de nuevo con un enlace seguro."
    ),
    "product_question": "Alguien de {store} puede responderle mejor.",
    "opted_out": "Entendido, no volveremos a contactarle. Adiós.",
    "wrong_number": "Disculpe las molestias. Adiós.",
    "already_bought": "Gracias por su compra y disculpe las molestias. Adiós.",
    "transferring": "Le comunico ahora con alguien de {store}.",
    "team_unavailable": "Nuestro equipo no está disponible ahora. ¿Podemos llamarle más tarde?",
    "sms:team_unavailable": "Una persona de {store} puede llamarle.",
    "no_person": "Lo siento, no puedo comunicarle con una persona.",
    "callback_confirmed": "Perfecto, le llamaremos {when}. Adiós.",
    "sms:callback_confirmed": "Perfecto, le llamaremos {when}.",
    "ask_when": "No hay problema. ¿Cuándo le vendría mejor?",
    "robot": "Sí, soy un asistente automático de inteligencia artificial que llama en nombre de {store}.",
    "sms:robot": (
        "Sí, soy un asistente automático de inteligencia artificial que escribe en nombre de {store}."
    ),
    "who": (
        "Soy un asistente automático de inteligencia artificial de "
        "{store}; le llamo por los artículos de su carrito."
    ),
    "sms:who": (
        "Soy un asistente automático de inteligencia artificial de {store}, por los artículos de su carrito."
    ),
    "reprompt": "Perdone, no le he entendido.",
    "goodbye_declined": "No hay problema. Gracias por su tiempo, adiós.",
    "goodbye_completed": "Gracias, que tenga un buen día. Adiós.",
    "goodbye_no_response": "Perdone, no le oigo, así que le dejo. Adiós.",
    "sms:goodbye_no_response": "Perdone, no le he entendido. Gracias por su tiempo.",
    "goodbye_max_turns": "Le dejo ya. Gracias por su tiempo, adiós.",
    "and": "y",
    "more_items_1": "1 artículo más",
    "more_items": "{count} artículos más",
    "some_items": "algunos artículos",
    "cart_with_total": "{items}, por un total de {total},",
    "today": "hoy",
    "tomorrow": "mañana",
    "on_weekday": "el {weekday}",
    "on_date": "el {day} de {month}",
    "weekdays": "lunes martes miércoles jueves viernes sábado domingo",
    "months": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "opening": (
        "Hola, le habla un asistente automático de inteligencia artificial en nombre de {store} "
        "sobre su carrito de compra."
    ),
    "recorded": "Esta llamada puede ser grabada.",
    "opt_out_how": "Diga stop o pulse 9 en cualquier momento para no recibir más llamadas.",
    "voicemail": (
        "Hola, le habla un asistente automático de inteligencia artificial en nombre de {store} "
        "sobre su visita reciente. Volveremos a intentarlo en otro momento. Para no recibir más llamadas, "
        "llame a este número y pulse 9. Adiós."
    ),
}

_FR = {
    "hi": "Bonjour {name},",
    "hi_there": "Bonjour,",
    "greet": "{hi} vous avez laissé {cart} dans votre panier chez {store}.",
    "q_help": "Voulez-vous de l'aide pour finaliser votre commande ?",
    "q_link": "Voulez-vous que je vous envoie par SMS un lien sécurisé vers votre panier ?",
    "q_discount": "Voulez-vous que je vous envoie le code par SMS ?",
    "q_discount_read": "Voulez-vous que je vous lise le code ?",
    "q_transfer": "Voulez-vous que je vous mette en relation maintenant ?",
    "q_when": "Quand cela vous arrangerait-il ?",
    "q_anything": "Puis-je vous aider pour autre chose ?",
    "q_what": "Bien sûr, comment puis-je vous aider ?",
    "link_sent": "C'est fait, je viens de vous envoyer le lien par SMS.",
    "link_already": "Je vous ai déjà envoyé le lien par SMS.",
    "finish_from_email": (
        "Vous pouvez finaliser votre commande à tout moment depuis l'e-mail envoyé par {store}."
    ),
    "price_empathy": "Je comprends, le prix compte.",
    "shipping_empathy": "Je comprends, les frais de livraison s'additionnent.",
    "discount_offer": "Je peux vous offrir {percent} % de réduction avec un code à usage unique.",
    "discount_sent": (
        "Parfait, je vous ai envoyé par SMS un code à usage unique de {percent} % de réduction. "
        "Il est valable pour une durée limitée."
    ),
    "discount_read": (
        "Parfait, voici votre code à usage unique de {percent} % de réduction. "
        "Il est valable pour une durée limitée."
    ),
    "discount_already": "Vous avez déjà votre code à usage unique de {percent} % de réduction.",
    "link_instead": "Je peux vous envoyer un lien sécurisé pour finaliser quand vous le souhaitez.",
    "payment_empathy": "Désolé pour ce problème de paiement. Vous pouvez réessayer avec un lien sécurisé.",
    "product_question": "Quelqu'un de chez {store} pourra mieux vous répondre.",
    "opted_out": "Entendu, vous ne serez plus contacté. Au revoir.",
    "wrong_number": "Désolé pour le dérangement. Au revoir.",
    "already_bought": "Merci pour votre commande, et désolé pour le dérangement. Au revoir.",
    "transferring": "Je vous mets en relation avec quelqu'un de chez {store}.",
    "team_unavailable": "Notre équipe n'est pas disponible pour le moment. Pouvons-nous vous rappeler ?",
    "sms:team_unavailable": "Une personne de chez {store} peut vous rappeler.",
    "no_person": "Désolé, je ne peux pas vous mettre en relation avec une personne.",
    "callback_confirmed": "Parfait, nous vous rappellerons {when}. Au revoir.",
    "sms:callback_confirmed": "Parfait, nous vous appellerons {when}.",
    "ask_when": "Pas de problème. Quand cela vous arrangerait-il mieux ?",
    "robot": (
        "Oui, je suis un assistant automatique d'intelligence artificielle qui appelle au nom de {store}."
    ),
    "sms:robot": (
        "Oui, je suis un assistant automatique d'intelligence artificielle qui écrit au nom de {store}."
    ),
    "who": (
        "Je suis un assistant automatique d'intelligence artificielle de {store}, "
        "j'appelle au sujet des articles de votre panier."
    ),
    "sms:who": (
        "Je suis un assistant automatique d'intelligence artificielle de {store}, au sujet de votre panier."
    ),
    "reprompt": "Pardon, je n'ai pas compris.",
    "goodbye_declined": "Pas de problème. Merci de votre temps, au revoir.",
    "goodbye_completed": "Merci, bonne journée. Au revoir.",
    "goodbye_no_response": "Désolé, je ne vous entends pas, je vous laisse. Au revoir.",
    "sms:goodbye_no_response": "Désolé, je n'ai pas compris. Merci de votre temps.",
    "goodbye_max_turns": "Je vous laisse maintenant. Merci de votre temps, au revoir.",
    "and": "et",
    "more_items_1": "1 autre article",
    "more_items": "{count} autres articles",
    "some_items": "quelques articles",
    "cart_with_total": "{items}, pour un total de {total},",
    "today": "aujourd'hui",
    "tomorrow": "demain",
    "on_weekday": "{weekday}",
    "on_date": "le {day} {month}",
    "weekdays": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "opening": (
        "Bonjour, ceci est un assistant automatique d'intelligence artificielle qui appelle au nom de "
        "{store} au sujet de votre panier."
    ),
    "recorded": "Cet appel peut être enregistré.",
    "opt_out_how": "Dites stop ou appuyez sur 9 à tout moment pour ne plus être contacté.",
    "voicemail": (
        "Bonjour, ceci est un assistant automatique d'intelligence artificielle qui appelle au nom de "
        "{store} au sujet de votre visite récente. Nous réessaierons plus tard. Pour ne plus recevoir "
        "ces appels, rappelez ce numéro et appuyez sur 9. Au revoir."
    ),
}

_DE = {
    "hi": "Hallo {name},",
    "hi_there": "Hallo,",
    "greet": "{hi} Sie haben {cart} im Warenkorb bei {store} gelassen.",
    "q_help": "Möchten Sie Hilfe beim Abschließen Ihrer Bestellung?",
    "q_link": "Soll ich Ihnen einen sicheren Link zu Ihrem Warenkorb per SMS schicken?",
    "q_discount": "Soll ich Ihnen den Code per SMS schicken?",
    "q_discount_read": "Soll ich Ihnen den Code vorlesen?",
    "q_transfer": "Soll ich Sie jetzt verbinden?",
    "q_when": "Wann passt es Ihnen?",
    "q_anything": "Kann ich sonst noch helfen?",
    "q_what": "Gern, wobei kann ich helfen?",
    "link_sent": "Erledigt, ich habe Ihnen den Link gerade per SMS geschickt.",
    "link_already": "Ich habe Ihnen den Link bereits per SMS geschickt.",
    "finish_from_email": "Sie können Ihre Bestellung jederzeit über die E-Mail von {store} abschließen.",
    "price_empathy": "Ich verstehe, der Preis ist wichtig.",
    "shipping_empathy": "Ich verstehe, Versandkosten summieren sich.",
    "discount_offer": "Ich kann Ihnen {percent} % Rabatt mit einem einmaligen Code anbieten.",
    "discount_sent": (
        "Prima, ich habe Ihnen einen einmaligen Code über {percent} % Rabatt per SMS geschickt. "
        "Er ist nur begrenzt gültig."
    ),
    "discount_read": (
        "Prima, hier ist Ihr einmaliger Code über {percent} % Rabatt. Er ist nur begrenzt gültig."
    ),
    "discount_already": "Sie haben Ihren einmaligen Code über {percent} % Rabatt bereits.",
    "link_instead": (
        "Ich kann Ihnen einen sicheren Link schicken, damit Sie abschließen, wann es Ihnen passt."
    ),
    "payment_empathy": (
        "Das mit der Zahlung tut mir leid. Sie können es mit einem sicheren Link erneut versuchen."
    ),
    "product_question": "Jemand von {store} kann das am besten beantworten.",
    "opted_out": "Verstanden, wir kontaktieren Sie nicht mehr. Auf Wiederhören.",
    "sms:opted_out": "Verstanden, wir kontaktieren Sie nicht mehr.",
    "wrong_number": "Entschuldigen Sie die Störung. Auf Wiederhören.",
    "already_bought": "Danke für Ihre Bestellung, und entschuldigen Sie die Störung. Auf Wiederhören.",
    "transferring": "Ich verbinde Sie jetzt mit jemandem von {store}.",
    "team_unavailable": "Unser Team ist gerade nicht erreichbar. Dürfen wir Sie zurückrufen?",
    "sms:team_unavailable": "Jemand von {store} kann Sie zurückrufen.",
    "no_person": "Es tut mir leid, ich kann Sie nicht mit einer Person verbinden.",
    "callback_confirmed": "Prima, wir rufen Sie {when} zurück. Auf Wiederhören.",
    "sms:callback_confirmed": "Prima, wir rufen Sie {when} an.",
    "ask_when": "Kein Problem. Wann passt es Ihnen besser?",
    "robot": "Ja, ich bin ein automatischer KI-Assistent und rufe im Auftrag von {store} an.",
    "sms:robot": "Ja, ich bin ein automatischer KI-Assistent und schreibe im Auftrag von {store}.",
    "who": "Hier ist ein automatischer KI-Assistent von {store}, wegen der Artikel in Ihrem Warenkorb.",
    "reprompt": "Entschuldigung, das habe ich nicht verstanden.",
    "goodbye_declined": "Kein Problem. Danke für Ihre Zeit, auf Wiederhören.",
    "goodbye_completed": "Danke, einen schönen Tag noch. Auf Wiederhören.",
    "goodbye_no_response": "Ich kann Sie leider nicht hören, daher lege ich auf. Auf Wiederhören.",
    "sms:goodbye_no_response": "Entschuldigung, das habe ich nicht verstanden. Danke für Ihre Zeit.",
    "goodbye_max_turns": "Ich lasse Sie jetzt. Danke für Ihre Zeit, auf Wiederhören.",
    "and": "und",
    "more_items_1": "1 weiteren Artikel",
    "more_items": "{count} weitere Artikel",
    "some_items": "einige Artikel",
    "cart_with_total": "{items} im Wert von {total}",
    "today": "heute",
    "tomorrow": "morgen",
    "on_weekday": "am {weekday}",
    "on_date": "am {day}. {month}",
    "weekdays": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "opening": (
        "Hallo, hier spricht ein automatischer KI-Assistent im Auftrag von {store} wegen Ihres Warenkorbs."
    ),
    "recorded": "Dieser Anruf kann aufgezeichnet werden.",
    "opt_out_how": "Sagen Sie jederzeit Stopp oder drücken Sie die 9, um keine weiteren Anrufe zu erhalten.",
    "voicemail": (
        "Hallo, hier spricht ein automatischer KI-Assistent im Auftrag von {store} wegen Ihres "
        "kürzlichen Besuchs. Wir versuchen es später noch einmal. Um keine weiteren Anrufe zu erhalten, "
        "rufen Sie diese Nummer zurück und drücken Sie die 9. Auf Wiederhören."
    ),
}

PHRASES: dict[str, dict[str, str]] = {"en": _EN, "es": _ES, "fr": _FR, "de": _DE}


def phrase(language: str, key: str, channel: str = "call", **values: object) -> str:
    """The line `key` in this language (the written variant for SMS when one exists), filled in."""
    table = PHRASES[supported(language)]
    template = table.get(f"sms:{key}") if channel == "sms" else None
    return (template or table[key]).format(**values)


def words(language: str, key: str) -> list[str]:
    """A space-separated list entry (weekday or month names)."""
    return PHRASES[supported(language)][key].split()


def join(*parts: str) -> str:
    """Sentences joined by one space, empty ones skipped."""
    return " ".join(part for part in parts if part)
