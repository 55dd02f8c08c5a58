"""Everything the agent says, per language; "sms:" entries are the written variants for texts.

A text must read as a text: it never offers "to text you" (we are texting), the link or code it
announces follows in its own text, and it stays within one or two SMS segments.
"""

from __future__ import annotations

from app.agent.languages import supported

_EN = {
    "hi": "Hi {name},",
    "hi_there": "Hi there,",
    "greet": "{hi} you left {cart} in your cart at {store}.",
    "q_help": "Would you like some help finishing your order?",
    "q_link": "Shall I text you a secure link to your cart?",
    "sms:q_link": "Would you like the link to your cart?",
    "q_discount": "Shall I text you the code?",
    "sms:q_discount": "Shall I send you the code?",
    "q_discount_read": "Would you like me to read you the code?",
    "q_transfer": "Shall I connect you now?",
    "q_when": "When would suit you?",
    "q_anything": "Is there anything else I can help with?",
    "sms:q_anything": "",
    "q_what": "Sure, what can I help you with?",
    "link_sent": "Done, I've just texted you the link.",
    "sms:link_sent": "Here is the link to your cart.",
    "link_already": "I've already texted you the link.",
    "sms:link_already": "The link to your cart is in my earlier text.",
    "finish_from_email": "You can finish your order any time from the email {store} sent you.",
    "price_empathy": "I understand, price matters.",
    "shipping_empathy": "I understand, shipping costs add up.",
    "discount_offer": "I can offer you {percent}% off your order with a one-time code.",
    "discount_sent": (
        "Great, I've texted you a one-time code for {percent}% off. It's valid for a limited time."
    ),
    "sms:discount_sent": "Here is your one-time code for {percent}% off.",
    "discount_read": "Great, here is your one-time code for {percent}% off. It's valid for a limited time.",
    "discount_already": "You already have your one-time code for {percent}% off.",
    "no_discount": "Sorry, I have no discount code to offer.",
    "link_instead": "I can text you a secure link so you can finish whenever suits you.",
    "payment_empathy": "Sorry you had trouble paying. You can try again with a secure link.",
    "sms:payment_empathy": "Sorry you had trouble paying.",
    "shipping_info": "Shipping options and costs for your address are shown at checkout.",
    "payment_info": "The payment methods {store} accepts are shown at checkout.",
    "product_question": "Someone from {store} can best answer that.",
    "sms:product_question": (
        "I can't answer product questions by text, but the details are on the {store} website."
    ),
    "opted_out": "Understood, you won't be contacted again. Goodbye.",
    "sms:opted_out": "Understood, you won't be contacted again.",
    "wrong_number": "Sorry to have bothered you. Goodbye.",
    "sms:wrong_number": "Sorry to have bothered you.",
    "already_bought": "Thank you for your order, and sorry to have bothered you. Goodbye.",
    "sms:already_bought": "Thank you for your order, and sorry to have bothered you.",
    "transferring": "Connecting you with someone from {store} now.",
    "team_unavailable": "Our team isn't available right now. Can we call you back?",
    "sms:team_unavailable": "A person from {store} can call you back.",
    "no_person": "I'm sorry, I can't connect you with a person.",
    "callback_confirmed": "Great, we'll call you back {when}. Goodbye.",
    "sms:callback_confirmed": "Great, we'll call you {when}.",
    "ask_when": "No problem. When would be a better time?",
    "sms:ask_when": "No problem. When should we call you?",
    "finish_later": "No problem, you can finish whenever suits you.",
    "robot": "Yes, I'm an automated AI assistant calling on behalf of {store}.",
    "sms:robot": "Yes, I'm an automated AI assistant writing on behalf of {store}.",
    "who": "This is an automated AI assistant for {store}, calling about the items left in your cart.",
    "sms:who": "This is an automated AI assistant for {store}, about the items left in your cart.",
    "reprompt": "Sorry, I didn't catch that.",
    "menu": (
        "I'm the automated AI assistant for {store}. I can send you the link to your cart; would you like it?"
    ),
    "menu_code": (
        "I'm the automated AI assistant for {store}. I can send you the link to your cart or a discount "
        "code; which would you like?"
    ),
    "goodbye_declined": "No problem. Thanks for your time, goodbye.",
    "sms:goodbye_declined": "No problem, thanks for your time.",
    "goodbye_completed": "Thanks, have a great day. Goodbye.",
    "sms:goodbye_completed": "Thanks, have a great day!",
    "goodbye_no_response": "Sorry, I can't hear you, so I'll let you go. Goodbye.",
    "sms:goodbye_no_response": "Sorry, I didn't understand. Thanks for your time.",
    "welcome": "You're welcome.",
    "welcome_bye": "You're welcome, have a great day. Goodbye.",
    "sms:welcome_bye": "You're welcome, have a great day!",
    "goodbye_max_turns": "I'll let you go now. Thanks for your time, goodbye.",
    "sms:goodbye_max_turns": "Thanks for your time!",
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
    "sms:q_link": "¿Quiere el enlace a su carrito?",
    "q_discount": "¿Le envío el código por mensaje?",
    "sms:q_discount": "¿Le envío el código?",
    "q_discount_read": "¿Quiere que le lea el código?",
    "q_transfer": "¿Le comunico ahora?",
    "q_when": "¿Cuándo le viene bien?",
    "q_anything": "¿Puedo ayudarle en algo más?",
    "sms:q_anything": "",
    "q_what": "Claro, ¿en qué puedo ayudarle?",
    "link_sent": "Listo, acabo de enviarle el enlace por mensaje.",
    "sms:link_sent": "Aquí tiene el enlace a su carrito.",
    "link_already": "Ya le envié el enlace por mensaje.",
    "sms:link_already": "El enlace a su carrito está en mi mensaje anterior.",
    "finish_from_email": "Puede terminar su pedido cuando quiera desde el correo que le envió {store}.",
    "price_empathy": "Lo entiendo, el precio importa.",
    "shipping_empathy": "Lo entiendo, los gastos de envío suman.",
    "discount_offer": "Puedo ofrecerle un {percent}% de descuento con un código de un solo uso.",
    "discount_sent": (
        "Perfecto, le envié por mensaje un código de un solo uso con un {percent}% de descuento. "
        "Es válido por tiempo limitado."
    ),
    "sms:discount_sent": "Aquí tiene su código de un solo uso con un {percent}% de descuento.",
    "discount_read": (
        "Perfecto, aquí tiene su código de un solo uso con un {percent}% de descuento. "
        "Es válido por tiempo limitado."
    ),
    "discount_already": "Ya tiene su código de un solo uso con un {percent}% de descuento.",
    "no_discount": "Lo siento, no tengo ningún código de descuento que ofrecerle.",
    "link_instead": "Puedo enviarle un enlace seguro para que termine cuando le convenga.",
    "payment_empathy": (
        "Siento que haya tenido problemas con el pago. Puede intentarlo de nuevo con un enlace seguro."
    ),
    "sms:payment_empathy": "Siento que haya tenido problemas con el pago.",
    "shipping_info": "Las opciones y gastos de envío a su dirección aparecen al finalizar la compra.",
    "payment_info": "Los métodos de pago que acepta {store} aparecen al finalizar la compra.",
    "product_question": "Alguien de {store} puede responderle mejor.",
    "sms:product_question": (
        "No puedo responder preguntas sobre productos por mensaje, pero los detalles están en la web de "
        "{store}."
    ),
    "opted_out": "Entendido, no volveremos a contactarle. Adiós.",
    "sms:opted_out": "Entendido, no volveremos a contactarle.",
    "wrong_number": "Disculpe las molestias. Adiós.",
    "sms:wrong_number": "Disculpe las molestias.",
    "already_bought": "Gracias por su compra y disculpe las molestias. Adiós.",
    "sms:already_bought": "Gracias por su compra y disculpe las molestias.",
    "transferring": "Le comunico ahora con alguien de {store}.",
    "team_unavailable": "Nuestro equipo no está disponible ahora. ¿Podemos llamarle más tarde?",
    "sms:team_unavailable": "Una persona de {store} puede llamarle.",
    "no_person": "Lo siento, no puedo comunicarle con una persona.",
    "callback_confirmed": "Perfecto, le llamaremos {when}. Adiós.",
    "sms:callback_confirmed": "Perfecto, le llamaremos {when}.",
    "ask_when": "No hay problema. ¿Cuándo le vendría mejor?",
    "sms:ask_when": "No hay problema. ¿Cuándo le llamamos?",
    "finish_later": "No hay problema, puede terminar cuando le convenga.",
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
    "menu": (
        "Soy el asistente automático de IA de {store}. Puedo enviarle el enlace a su carrito; ¿lo quiere?"
    ),
    "menu_code": (
        "Soy el asistente automático de IA de {store}. Puedo enviarle el enlace a su carrito o un código de "
        "descuento; ¿qué prefiere?"
    ),
    "goodbye_declined": "No hay problema. Gracias por su tiempo, adiós.",
    "sms:goodbye_declined": "No hay problema, gracias por su tiempo.",
    "goodbye_completed": "Gracias, que tenga un buen día. Adiós.",
    "sms:goodbye_completed": "Gracias, ¡que tenga un buen día!",
    "goodbye_no_response": "Perdone, no le oigo, así que le dejo. Adiós.",
    "sms:goodbye_no_response": "Perdone, no le he entendido. Gracias por su tiempo.",
    "welcome": "De nada.",
    "welcome_bye": "De nada, que tenga un buen día. Adiós.",
    "sms:welcome_bye": "De nada, ¡que tenga un buen día!",
    "goodbye_max_turns": "Le dejo ya. Gracias por su tiempo, adiós.",
    "sms:goodbye_max_turns": "¡Gracias por su tiempo!",
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
    "sms:q_link": "Voulez-vous le lien vers votre panier ?",
    "q_discount": "Voulez-vous que je vous envoie le code par SMS ?",
    "sms:q_discount": "Je vous envoie le code ?",
    "q_discount_read": "Voulez-vous que je vous lise le code ?",
    "q_transfer": "Voulez-vous que je vous mette en relation maintenant ?",
    "q_when": "Quand cela vous arrangerait-il ?",
    "q_anything": "Puis-je vous aider pour autre chose ?",
    "sms:q_anything": "",
    "q_what": "Bien sûr, comment puis-je vous aider ?",
    "link_sent": "C'est fait, je viens de vous envoyer le lien par SMS.",
    "sms:link_sent": "Voici le lien vers votre panier.",
    "link_already": "Je vous ai déjà envoyé le lien par SMS.",
    "sms:link_already": "Le lien vers votre panier est dans mon SMS précédent.",
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
    "sms:discount_sent": "Voici votre code à usage unique de {percent} % de réduction.",
    "discount_read": (
        "Parfait, voici votre code à usage unique de {percent} % de réduction. "
        "Il est valable pour une durée limitée."
    ),
    "discount_already": "Vous avez déjà votre code à usage unique de {percent} % de réduction.",
    "no_discount": "Désolé, je n'ai pas de code de réduction à vous proposer.",
    "link_instead": "Je peux vous envoyer un lien sécurisé pour finaliser quand vous le souhaitez.",
    "payment_empathy": "Désolé pour ce problème de paiement. Vous pouvez réessayer avec un lien sécurisé.",
    "sms:payment_empathy": "Désolé pour ce problème de paiement.",
    "shipping_info": (
        "Les options et frais de livraison pour votre adresse sont indiqués au moment de la commande."
    ),
    "payment_info": "Les moyens de paiement acceptés par {store} sont indiqués au moment de la commande.",
    "product_question": "Quelqu'un de chez {store} pourra mieux vous répondre.",
    "sms:product_question": (
        "Je ne peux pas répondre aux questions sur les produits par SMS, mais les détails sont sur le "
        "site de {store}."
    ),
    "opted_out": "Entendu, vous ne serez plus contacté. Au revoir.",
    "sms:opted_out": "Entendu, vous ne serez plus contacté.",
    "wrong_number": "Désolé pour le dérangement. Au revoir.",
    "sms:wrong_number": "Désolé pour le dérangement.",
    "already_bought": "Merci pour votre commande, et désolé pour le dérangement. Au revoir.",
    "sms:already_bought": "Merci pour votre commande, et désolé pour le dérangement.",
    "transferring": "Je vous mets en relation avec quelqu'un de chez {store}.",
    "team_unavailable": "Notre équipe n'est pas disponible pour le moment. Pouvons-nous vous rappeler ?",
    "sms:team_unavailable": "Une personne de chez {store} peut vous rappeler.",
    "no_person": "Désolé, je ne peux pas vous mettre en relation avec une personne.",
    "callback_confirmed": "Parfait, nous vous rappellerons {when}. Au revoir.",
    "sms:callback_confirmed": "Parfait, nous vous appellerons {when}.",
    "ask_when": "Pas de problème. Quand cela vous arrangerait-il mieux ?",
    "sms:ask_when": "Pas de problème. Quand pouvons-nous vous appeler ?",
    "finish_later": "Pas de problème, vous pouvez finaliser quand vous voulez.",
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
    "menu": (
        "Je suis l'assistant automatique d'IA de {store}. Je peux vous envoyer le lien vers votre panier ; "
        "le voulez-vous ?"
    ),
    "menu_code": (
        "Je suis l'assistant automatique d'IA de {store}. Je peux vous envoyer le lien vers votre panier "
        "ou un code de réduction ; que préférez-vous ?"
    ),
    "goodbye_declined": "Pas de problème. Merci de votre temps, au revoir.",
    "sms:goodbye_declined": "Pas de problème, merci de votre temps.",
    "goodbye_completed": "Merci, bonne journée. Au revoir.",
    "sms:goodbye_completed": "Merci, bonne journée !",
    "goodbye_no_response": "Désolé, je ne vous entends pas, je vous laisse. Au revoir.",
    "sms:goodbye_no_response": "Désolé, je n'ai pas compris. Merci de votre temps.",
    "welcome": "Avec plaisir.",
    "welcome_bye": "Avec plaisir, bonne journée. Au revoir.",
    "sms:welcome_bye": "Avec plaisir, bonne journée !",
    "goodbye_max_turns": "Je vous laisse maintenant. Merci de votre temps, au revoir.",
    "sms:goodbye_max_turns": "Merci de votre temps !",
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
    "sms:q_link": "Möchten Sie den Link zu Ihrem Warenkorb?",
    "q_discount": "Soll ich Ihnen den Code per SMS schicken?",
    "sms:q_discount": "Soll ich Ihnen den Code schicken?",
    "q_discount_read": "Soll ich Ihnen den Code vorlesen?",
    "q_transfer": "Soll ich Sie jetzt verbinden?",
    "q_when": "Wann passt es Ihnen?",
    "q_anything": "Kann ich sonst noch helfen?",
    "sms:q_anything": "",
    "q_what": "Gern, wobei kann ich helfen?",
    "link_sent": "Erledigt, ich habe Ihnen den Link gerade per SMS geschickt.",
    "sms:link_sent": "Hier ist der Link zu Ihrem Warenkorb.",
    "link_already": "Ich habe Ihnen den Link bereits per SMS geschickt.",
    "sms:link_already": "Der Link zu Ihrem Warenkorb steht in meiner vorherigen SMS.",
    "finish_from_email": "Sie können Ihre Bestellung jederzeit über die E-Mail von {store} abschließen.",
    "price_empathy": "Ich verstehe, der Preis ist wichtig.",
    "shipping_empathy": "Ich verstehe, Versandkosten summieren sich.",
    "discount_offer": "Ich kann Ihnen {percent} % Rabatt mit einem einmaligen Code anbieten.",
    "discount_sent": (
        "Prima, ich habe Ihnen einen einmaligen Code über {percent} % Rabatt per SMS geschickt. "
        "Er ist nur begrenzt gültig."
    ),
    "sms:discount_sent": "Hier ist Ihr einmaliger Code über {percent} % Rabatt.",
    "discount_read": (
        "Prima, hier ist Ihr einmaliger Code über {percent} % Rabatt. Er ist nur begrenzt gültig."
    ),
    "discount_already": "Sie haben Ihren einmaligen Code über {percent} % Rabatt bereits.",
    "no_discount": "Leider kann ich Ihnen keinen Rabattcode anbieten.",
    "link_instead": (
        "Ich kann Ihnen einen sicheren Link schicken, damit Sie abschließen, wann es Ihnen passt."
    ),
    "payment_empathy": (
        "Das mit der Zahlung tut mir leid. Sie können es mit einem sicheren Link erneut versuchen."
    ),
    "sms:payment_empathy": "Das mit der Zahlung tut mir leid.",
    "shipping_info": "Versandoptionen und -kosten für Ihre Adresse sehen Sie an der Kasse.",
    "payment_info": "Welche Zahlungsarten {store} akzeptiert, sehen Sie an der Kasse.",
    "product_question": "Jemand von {store} kann das am besten beantworten.",
    "sms:product_question": (
        "Produktfragen kann ich per SMS nicht beantworten, aber die Details finden Sie auf der Website von "
        "{store}."
    ),
    "opted_out": "Verstanden, wir kontaktieren Sie nicht mehr. Auf Wiederhören.",
    "sms:opted_out": "Verstanden, wir kontaktieren Sie nicht mehr.",
    "wrong_number": "Entschuldigen Sie die Störung. Auf Wiederhören.",
    "sms:wrong_number": "Entschuldigen Sie die Störung.",
    "already_bought": "Danke für Ihre Bestellung, und entschuldigen Sie die Störung. Auf Wiederhören.",
    "sms:already_bought": "Danke für Ihre Bestellung, und entschuldigen Sie die Störung.",
    "transferring": "Ich verbinde Sie jetzt mit jemandem von {store}.",
    "team_unavailable": "Unser Team ist gerade nicht erreichbar. Dürfen wir Sie zurückrufen?",
    "sms:team_unavailable": "Jemand von {store} kann Sie zurückrufen.",
    "no_person": "Es tut mir leid, ich kann Sie nicht mit einer Person verbinden.",
    "callback_confirmed": "Prima, wir rufen Sie {when} zurück. Auf Wiederhören.",
    "sms:callback_confirmed": "Prima, wir rufen Sie {when} an.",
    "ask_when": "Kein Problem. Wann passt es Ihnen besser?",
    "sms:ask_when": "Kein Problem. Wann dürfen wir Sie anrufen?",
    "finish_later": "Kein Problem, Sie können abschließen, wann es Ihnen passt.",
    "robot": "Ja, ich bin ein automatischer KI-Assistent und rufe im Auftrag von {store} an.",
    "sms:robot": "Ja, ich bin ein automatischer KI-Assistent und schreibe im Auftrag von {store}.",
    "who": "Hier ist ein automatischer KI-Assistent von {store}, wegen der Artikel in Ihrem Warenkorb.",
    "reprompt": "Entschuldigung, das habe ich nicht verstanden.",
    "menu": (
        "Ich bin der automatische KI-Assistent von {store}. Ich kann Ihnen den Link zu Ihrem Warenkorb "
        "schicken; möchten Sie ihn?"
    ),
    "menu_code": (
        "Ich bin der automatische KI-Assistent von {store}. Ich kann Ihnen den Link zu Ihrem Warenkorb oder "
        "einen Rabattcode schicken; was möchten Sie?"
    ),
    "goodbye_declined": "Kein Problem. Danke für Ihre Zeit, auf Wiederhören.",
    "sms:goodbye_declined": "Kein Problem, danke für Ihre Zeit.",
    "goodbye_completed": "Danke, einen schönen Tag noch. Auf Wiederhören.",
    "sms:goodbye_completed": "Danke, einen schönen Tag noch!",
    "goodbye_no_response": "Ich kann Sie leider nicht hören, daher lege ich auf. Auf Wiederhören.",
    "sms:goodbye_no_response": "Entschuldigung, das habe ich nicht verstanden. Danke für Ihre Zeit.",
    "welcome": "Gern geschehen.",
    "welcome_bye": "Gern geschehen, einen schönen Tag noch. Auf Wiederhören.",
    "sms:welcome_bye": "Gern geschehen, einen schönen Tag noch!",
    "goodbye_max_turns": "Ich lasse Sie jetzt. Danke für Ihre Zeit, auf Wiederhören.",
    "sms:goodbye_max_turns": "Danke für Ihre Zeit!",
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
    """The line `key` in this language (the written variant for SMS when one exists), filled in.

    An empty "sms:" variant means the line is left out of texts (join() skips it).
    """
    table = PHRASES[supported(language)]
    template = table.get(f"sms:{key}") if channel == "sms" else None
    return (table[key] if template is None else template).format(**values)


def words(language: str, key: str) -> list[str]:
    """A space-separated list entry (weekday or month names)."""
    return PHRASES[supported(language)][key].split()


def join(*parts: str) -> str:
    """Sentences joined by one space, empty ones skipped."""
    return " ".join(part for part in parts if part)
